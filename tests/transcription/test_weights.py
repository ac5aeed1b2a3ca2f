"""Which model transcribes a call, and where the weights come from (never the network)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from qc.config import get_settings
from qc.transcription import weights
from qc.transcription.weights import ModelUnavailable


def test_auto_picks_tiny_en_for_english_and_base_otherwise() -> None:
    assert weights.choose_model_name("auto", "en") == "tiny.en"
    assert weights.choose_model_name("auto", "ru") == "base"
    assert weights.choose_model_name("auto", None) == "base"  # detection needs a multilingual model
    assert weights.choose_model_name("/models/large-v3", "en") == "/models/large-v3"


def test_bundled_models_resolve_offline() -> None:
    tiny = weights.resolve_model("tiny.en", get_settings().model_cache_dir)
    base = weights.resolve_model("base", get_settings().model_cache_dir)
    assert (tiny.path / "model.bin").is_file()
    digest = hashlib.sha256((base.path / "model.bin").read_bytes()).hexdigest()
    assert digest == weights.BASE_MODEL_SHA256, "the two parts were joined into the published model"
    assert {p.name for p in base.path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}


def test_any_ctranslate2_folder_can_be_named_by_path() -> None:
    tiny = weights.resolve_model("tiny.en", get_settings().model_cache_dir)
    by_path = weights.resolve_model(str(tiny.path), get_settings().model_cache_dir)
    assert by_path.path == tiny.path
    assert by_path.label == str(tiny.path)


def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="neither a bundled model"):
        weights.resolve_model(str(tmp_path / "nothing-here"), tmp_path)


def test_cpu_int8_without_a_gpu() -> None:
    import ctranslate2

    device = weights.pick_device("auto")
    assert device == ("cuda" if ctranslate2.get_cuda_device_count() else "cpu")
    assert weights.pick_compute_type("auto", "cpu") == "int8"
    assert weights.pick_compute_type("auto", "cuda") == "float16"
    assert weights.pick_compute_type("int8_float16", "cuda") == "int8_float16"


def test_language_comes_from_the_call_then_the_team_then_the_settings(db: object, org: object) -> None:
    from qc.transcription.service import call_audio
    from tests.factories import make_call

    org.team.language = None  # type: ignore[attr-defined]
    own = make_call(db, rep=org.rep, language="it")  # type: ignore[arg-type, attr-defined]
    none = make_call(db, rep=org.rep)  # type: ignore[arg-type, attr-defined]
    db.flush()  # type: ignore[attr-defined]
    assert call_audio(db, own.id, default_language="ro").language == "it"  # type: ignore[arg-type]
    assert call_audio(db, none.id, default_language="ro").language == "ro"  # type: ignore[arg-type]
    assert call_audio(db, none.id, default_language=None).language is None  # type: ignore[arg-type]
    org.team.language = "sr"  # type: ignore[attr-defined]
    db.flush()  # type: ignore[attr-defined]
    assert call_audio(db, none.id, default_language="ro").language == "sr"  # type: ignore[arg-type]
