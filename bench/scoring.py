"""Scoring speed: 5-minute calls checked against the outbound scorecard, per core.

    python bench/scoring.py [--calls 300]

In one process and one thread (one core), against baselines measured in the same run:
- spaCy only tokenising the same transcript text (`nlp(text)` on a blank pipeline);
- the same phrases found with spaCy's token Matcher and FUZZY patterns instead of the
  canonical-form PhraseMatcher the checks use (the design choice in qc/scoring/matching.py);
- faster-whisper transcribing a 5-minute stereo call (tiny.en, int8, CPU), to express
  scoring as a share of a call's transcription time.

Targets: >= 200 calls/s per core; scoring under 2% of the call's transcription time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QC_DATA_DIR", tempfile.mkdtemp(prefix="qc-bench-scoring-"))
os.environ.setdefault("QC_LOG_LEVEL", "WARNING")

CALL_SECONDS = 300


def five_minute_calls(count: int) -> list[list]:  # type: ignore[type-arg]
    """Distinct 5-minute English transcripts made of the labelled calls' turns, each call
    with its own mix of turns and ASR-like noise so no cache sees the same text twice."""
    import random

    from qc.scoring.transcript import Segment, Word
    from tests.scoring.labelled import all_calls

    turns = [s for c in all_calls() if c.language == "en" for s in c.segments]
    calls = []
    for number in range(count):
        rng = random.Random(number)
        segments, clock = [], 0.5
        while clock < CALL_SECONDS:
            source = rng.choice(turns)
            words = []
            for token in source.text.split():
                if rng.random() < 0.03:  # an ASR slip: a letter changed
                    position = rng.randrange(len(token))
                    token = token[:position] + rng.choice("aeiourst") + token[position + 1 :]
                words.append(Word(clock, clock + 0.33, token, rng.uniform(0.55, 1.0)))
                clock += 0.36
            segments.append(
                Segment(
                    source.speaker,
                    words[0].start,
                    words[-1].end,
                    " ".join(w.word for w in words),
                    tuple(words),
                )
            )
            clock += 0.6
        calls.append(segments)
    return calls


def rate(function, items: list) -> float:  # type: ignore[no-untyped-def, type-arg]
    started = time.perf_counter()
    for item in items:
        function(item)
    return len(items) / (time.perf_counter() - started)


def fuzzy_matcher(card, tools):  # type: ignore[no-untyped-def]
    """spaCy's token Matcher with FUZZY patterns on lower-case forms: the obvious alternative."""
    from spacy.matcher import Matcher

    from qc.scoring.definitions import ObjectionCheck, PhraseCheck

    matcher = Matcher(tools.nlp.vocab)
    for item in card.items:
        check = item.check
        lists = [check.phrases.get("en", [])] if isinstance(check, PhraseCheck) else []
        if isinstance(check, ObjectionCheck):
            lists = [check.objections["en"], check.handling["en"]]
        for number, phrase in enumerate(p for lst in lists for p in lst):
            pattern = [
                {"LOWER": {"FUZZY": w.lower()}} if len(w) > 3 else {"LOWER": w.lower()}
                for w in tools.tokens(phrase.replace("{name}", "X"))
            ]
            matcher.add(f"{item.id}-{number}", [pattern])
    return matcher


def asr_seconds() -> float:
    """faster-whisper on a 5-minute stereo call made of the scripted English calls."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    from qc.calls.models import ChannelLayout
    from qc.config import get_settings
    from qc.transcription import engine, weights

    left, right = [], []
    folder = ROOT / "qc" / "demo" / "samples" / "scripted"
    while sum(len(a) for a in left) < CALL_SECONDS * 16000:
        for name in ("en-outbound-model.ogg", "en-inbound-model.ogg", "en-outbound-pushy.ogg"):
            a, c = decode_audio(str(folder / name), split_stereo=True)
            left.append(a)
            right.append(c)
    import wave

    path = Path(tempfile.mkdtemp()) / "five-minutes.wav"
    pcm = (
        np.clip(
            np.stack([np.concatenate(left), np.concatenate(right)], axis=1)[: CALL_SECONDS * 16000], -1, 1
        )
        * 32767
    ).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(pcm.tobytes())
    spec = weights.resolve_model("tiny.en", get_settings().model_cache_dir)
    model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
    started = time.perf_counter()
    engine.transcribe(
        model, spec, path, layout=ChannelLayout.AGENT_LEFT, language="en", options=engine.AsrOptions()
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    from qc.config import get_settings
    from qc.scoring import nlp
    from qc.scoring.definitions import load_folder
    from qc.scoring.engine import score_transcript

    card = next(c for _, c in load_folder(get_settings().scorecards_dir).cards if c.id == "outbound-sales")
    calls = five_minute_calls(args.calls)
    tools = nlp.tools("en")
    texts = [" ".join(s.text for s in call) for call in calls]
    words = statistics.mean(len(t.split()) for t in texts)
    score_transcript(card, language="en", segments=calls[0])  # warm-up: language and phrase index loaded

    matcher = fuzzy_matcher(card, tools)
    tokenise = rate(lambda text: tools.nlp(text), texts)
    scoring = rate(
        lambda call: score_transcript(card, language="en", segments=call, duration_s=CALL_SECONDS), calls
    )
    token_matcher = rate(lambda text: matcher(tools.nlp(text)), texts[: max(20, args.calls // 10)])
    transcription = asr_seconds()

    per_call_ms = 1000 / scoring
    print(
        f"\n{args.calls} distinct 5-minute calls (~{words:.0f} words each), outbound-sales scorecard "
        f"({len(card.items)} items), one core, {os.cpu_count()} on the machine.\n"
    )
    print("| what | calls/s per core | ms per call | vs tokenising only |")
    print("|---|---:|---:|---:|")
    print(f"| spaCy tokenising the text (baseline) | {tokenise:.0f} | {1000 / tokenise:.2f} | 1.0x |")
    print(
        f"| full scoring (all checks, evidence, score) | {scoring:.0f} | {per_call_ms:.2f} | "
        f"{tokenise / scoring:.1f}x slower |"
    )
    print(
        f"| phrase search alone with spaCy Matcher + FUZZY patterns | {token_matcher:.0f} | "
        f"{1000 / token_matcher:.2f} | {tokenise / token_matcher:.1f}x slower |"
    )
    print(
        f"\nTranscribing one 5-minute stereo call (tiny.en, int8, CPU): {transcription:.1f} s; "
        f"scoring it takes {per_call_ms:.2f} ms = {100 * per_call_ms / 1000 / transcription:.3f}% of that "
        f"(target < 2%)."
    )
    print(f"Target >= 200 calls/s per core: {'met' if scoring >= 200 else 'NOT met'} ({scoring:.0f}).")


if __name__ == "__main__":
    main()
