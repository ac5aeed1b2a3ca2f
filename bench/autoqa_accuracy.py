"""How often the automatic checks agree with a reviewer: per item precision, recall, F1.

    python bench/autoqa_accuracy.py [--audio] [--suggestions]

On the labelled transcripts (tests/scoring/labelled): the tuning set (phrase lists were
adjusted on it) and the hold-out set (written afterwards, never tuned on). With
`--audio`, also end to end from the scripted calls' stereo audio through ASR.

A check's job is to find problems, so "fail" is the positive class: precision is the
share of automatic fails a reviewer agrees with, recall the share of the reviewer's
fails the checks caught ("needs review" counts as not caught). Agreement is the share
of items with exactly the reviewer's status (pass, fail, n/a); "needs review" is
reported as hand-offs, not as agreement.

With `--suggestions`, the scorecard editor's suggestions (qc/evaluations/suggestions.py)
are mined from the tuning set only, its labels standing in for the reviewers' answers;
every suggestion that raises its item's agreement on the tuning set is accepted, and the
hold-out set is scored again with the changed scorecards. The hold-out set is never mined.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QC_DATA_DIR", tempfile.mkdtemp(prefix="qc-bench-autoqa-"))
os.environ.setdefault("QC_LOG_LEVEL", "WARNING")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    agree: int = 0
    total: int = 0
    review: int = 0

    def add(self, expected: str, got: str) -> None:
        self.total += 1
        self.agree += expected == got
        self.review += got == "needs_review"
        self.tp += expected == "fail" and got == "fail"
        self.fp += expected != "fail" and got == "fail"
        self.fn += expected == "fail" and got != "fail"

    def merge(self, other: Tally) -> None:
        for name in ("tp", "fp", "fn", "agree", "total", "review"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    title: str
    items: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    def add(self, scorecard: str, expected: dict[str, str], got: dict[str, str]) -> None:
        for item, status in expected.items():
            self.items[f"{scorecard} / {item}"].add(status, got.get(item, "missing"))

    def print(self) -> None:
        def fmt(value: float | None) -> str:
            return "—" if value is None else f"{value:.2f}"

        total = Tally()
        for tally in self.items.values():
            total.merge(tally)
        print(f"\n### {self.title}\n")
        print(
            f"{total.total} labelled items. Fail detection: precision {fmt(total.precision)}, "
            f"recall {fmt(total.recall)}, **F1 {fmt(total.f1)}**. Agreement {total.agree / total.total:.2f} "
            f"({total.agree}/{total.total}); handed to a person: {total.review}.\n"
        )
        print("| item | n | agreement | fail precision | fail recall | fail F1 | needs review |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, t in sorted(self.items.items()):
            print(
                f"| {name} | {t.total} | {t.agree / t.total:.2f} | {fmt(t.precision)} | {fmt(t.recall)} | "
                f"{fmt(t.f1)} | {t.review} |"
            )


def from_transcripts() -> list[Report]:
    from qc.config import get_settings
    from qc.scoring.definitions import load_folder
    from qc.scoring.engine import score_transcript
    from tests.scoring.labelled import all_calls

    cards = {card.id: card for _, card in load_folder(get_settings().scorecards_dir).cards}
    reports = {"tuning": Report("Transcripts, tuning set"), "holdout": Report("Transcripts, hold-out set")}
    overall = Report("Transcripts, all")
    for call in all_calls():
        result = score_transcript(
            cards[call.scorecard], language=call.language, segments=call.segments, duration_s=call.duration_s
        )
        got = {item.item_id: item.status.value for item in result.items}
        reports[call.set].add(call.scorecard, call.expected, got)
        overall.add(call.scorecard, call.expected, got)
    return [reports["tuning"], reports["holdout"], overall]


def with_tuning_suggestions() -> list[Report]:
    """The hold-out figures before and after accepting what the tuning set suggests."""
    from qc.config import get_settings
    from qc.evaluations import form, suggestions
    from qc.scoring.definitions import PhraseCheck, Status, load_folder
    from qc.scoring.engine import score_transcript
    from tests.scoring.labelled import all_calls

    cards = {card.id: card for _, card in load_folder(get_settings().scorecards_dir).cards}
    calls = all_calls()
    tuning = [c for c in calls if c.set == "tuning"]
    accepted: list[str] = []
    for card_id, card in list(cards.items()):
        cases = [
            suggestions.Case(
                number,
                call.language,
                call.segments,
                call.duration_s,
                {
                    item: form.suggested(card.item(item), Status(status)) or "na"
                    for item, status in call.expected.items()
                    if item in {i.id for i in card.items}
                },
            )
            for number, call in enumerate(tuning)
            if call.scorecard == card_id
        ]
        for item in card.items:
            if not isinstance(item.check, PhraseCheck):
                continue
            found = suggestions.mine(cards[card_id], item.id, cases)
            for suggestion in found.suggestions:
                if (
                    suggestion.after
                    and suggestion.before
                    and suggestion.after.agreed > suggestion.before.agreed
                ):
                    cards[card_id] = suggestions.with_suggestion(cards[card_id], suggestion)
                    accepted.append(
                        f"{card_id} / {item.id}: {suggestion.kind} ({suggestion.language}) "
                        f"{suggestion.text!r}, tuning agreement {suggestion.before.agreed} -> "
                        f"{suggestion.after.agreed} of {suggestion.after.decided}"
                    )
    print(f"\n### Suggestions mined from the tuning set ({len(tuning)} calls): {len(accepted)} accepted\n")
    for line in accepted or ["(none: every check agrees with every tuning label, so no override to mine)"]:
        print(f"- {line}")
    after = Report("Transcripts, hold-out set, after accepting the tuning set's suggestions")
    for call in (c for c in calls if c.set == "holdout"):
        result = score_transcript(
            cards[call.scorecard], language=call.language, segments=call.segments, duration_s=call.duration_s
        )
        after.add(call.scorecard, call.expected, {i.item_id: i.status.value for i in result.items})
    return [after]


def from_audio() -> list[Report]:
    from qc.calls.models import ChannelLayout
    from qc.config import get_settings
    from qc.scoring.definitions import load_folder
    from qc.scoring.engine import score_transcript
    from qc.scoring.transcript import segments_from
    from qc.scoring.variables import with_defaults
    from qc.transcription import engine, weights
    from tests.scoring.labelled import all_calls

    settings = get_settings()
    samples = ROOT / "qc" / "demo" / "samples"
    scripted = json.loads((samples / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    cards = {card.id: card for _, card in load_folder(settings.scorecards_dir).cards}
    labels = {call.id: call for call in all_calls()}
    english, others = (
        Report("From audio (ASR), English"),
        Report("From audio (ASR), ru/ro/it/sr (espeak-ng voices)"),
    )
    for item in scripted:
        call = labels[item["labelled"]]
        card = cards[call.scorecard]
        spec = weights.resolve_model(
            weights.choose_model_name("auto", call.language), settings.model_cache_dir
        )
        model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
        asr = engine.transcribe(
            model,
            spec,
            samples / item["file"],
            layout=ChannelLayout.AGENT_LEFT,
            language=call.language,
            options=engine.AsrOptions(hotwords=with_defaults(card).hotwords.get(call.language)),
        )
        segments = segments_from(
            [
                {
                    "speaker": s.speaker.value,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "words": [w.as_dict() for w in s.words],
                }
                for s in asr.segments
            ]
        )
        result = score_transcript(
            card, language=call.language, segments=segments, duration_s=asr.audio_duration_s
        )
        got = {i.item_id: i.status.value for i in result.items}
        (english if call.language == "en" else others).add(call.scorecard, call.expected, got)
    return [english, others]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--audio", action="store_true", help="also run the scripted calls through ASR")
    parser.add_argument(
        "--suggestions",
        action="store_true",
        help="also score the hold-out set after the tuning set's suggestions",
    )
    args = parser.parse_args()
    reports = from_transcripts()
    if args.suggestions:
        reports += with_tuning_suggestions()
    if args.audio:
        reports += from_audio()
    for report in reports:
        report.print()


if __name__ == "__main__":
    main()
