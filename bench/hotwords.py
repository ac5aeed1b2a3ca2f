"""Effect of the scorecard's hotwords on brand names in transcripts.

    python bench/hotwords.py

Every bundled call whose script names the company (Acme / Акме / Akme) is transcribed
twice in the same run, without and with its scorecard's hotwords. Reported per language:
how many brand mentions come out spelled right, their mean word probability (what the
checks' confidence rests on), and the word error rate of the whole call.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QC_DATA_DIR", tempfile.mkdtemp(prefix="qc-bench-hotwords-"))
os.environ.setdefault("QC_LOG_LEVEL", "WARNING")

BRANDS = {"acme", "акме", "akme"}


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def main() -> None:
    import jiwer

    from qc.calls.models import ChannelLayout
    from qc.config import get_settings
    from qc.scoring.definitions import load_folder
    from qc.scoring.variables import with_defaults
    from qc.transcription import engine, weights

    settings = get_settings()
    samples = ROOT / "qc" / "demo" / "samples"
    manifest = json.loads((samples / "samples.json").read_text(encoding="utf-8"))
    manifest += json.loads((samples / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    cards = {card.applies_to.direction: card for _, card in load_folder(settings.scorecards_dir).cards}
    totals: dict[tuple[str, bool], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in manifest:
        reference = " ".join(t["text"] for t in item["turns"])
        mentions = sum(w in BRANDS for w in words(reference))
        if not mentions:
            continue
        language = item["language"]
        hotwords = with_defaults(cards[item["direction"]]).hotwords.get(language)
        spec = weights.resolve_model(weights.choose_model_name("auto", language), settings.model_cache_dir)
        model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
        for with_hotwords in (False, True):
            result = engine.transcribe(
                model,
                spec,
                samples / item["file"],
                layout=ChannelLayout(item["channels"]),
                language=language,
                options=engine.AsrOptions(hotwords=hotwords if with_hotwords else None),
            )
            hypothesis = " ".join(s.text for s in result.segments)
            brand_words = [
                w for s in result.segments for w in s.words if words(w.word) and words(w.word)[0] in BRANDS
            ]
            row = totals[(language, with_hotwords)]
            row["calls"] += 1
            row["mentions"] += mentions
            row["right"] += min(mentions, len(brand_words))
            row["probability"] += sum(w.probability for w in brand_words)
            row["brand_words"] += len(brand_words)
            row["errors"] += jiwer.wer(" ".join(words(reference)), " ".join(words(hypothesis))) * len(
                words(reference)
            )
            row["reference_words"] += len(words(reference))
    print(
        "\n| language | calls | hotwords | brand mentions spelled right | their mean word probability | WER |"
    )
    print("|---|---:|---|---:|---:|---:|")
    for (language, with_hotwords), row in sorted(totals.items()):
        probability = row["probability"] / row["brand_words"] if row["brand_words"] else 0.0
        print(
            f"| {language} | {row['calls']:.0f} | {'yes' if with_hotwords else 'no'} | "
            f"{row['right']:.0f}/{row['mentions']:.0f} | {probability:.2f} | "
            f"{row['errors'] / row['reference_words']:.3f} |"
        )


if __name__ == "__main__":
    main()
