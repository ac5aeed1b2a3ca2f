"""Backtest speed: a scorecard draft run over 10,000 reviewed 5-minute calls, on one core.

    python bench/backtest.py [--calls 10000]

A throw-away SQLite database gets N reviewed calls: distinct 5-minute English transcripts
(bench/scoring.py's generator), each scored once with the outbound-sales scorecard and
reviewed (a submitted review whose answers agree with the check 85% of the time). Then, in
one process and one thread, against a baseline measured in the same run:

- baseline: scoring the same calls once (transcripts read from the database in batches,
  every check of the scorecard run on each), as re-scoring them would;
- `qc.evaluations.backtest.backtest` for drafts that change one phrase list (one item run
  again), the presentation (which two other items' windows refer to: three items), and
  only a label (nothing run again).

Target: a backtest over 10,000 reviewed calls in under 10 s on one core.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QC_DATA_DIR", tempfile.mkdtemp(prefix="qc-bench-backtest-"))
os.environ.setdefault("QC_LOG_LEVEL", "WARNING")

AGREE = 0.85  # share of answers where the "reviewer" agrees with the check


def _bench_scoring():  # type: ignore[no-untyped-def]
    """bench/scoring.py, for its transcript generator (bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scoring", HERE / "scoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed(count: int) -> None:
    """N reviewed calls in the database (not timed)."""
    from sqlalchemy import insert, select

    from qc.calls.models import Call, CallStatus, ChannelLayout, Direction
    from qc.db import session_scope
    from qc.evaluations import form
    from qc.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind, EvaluationStatus
    from qc.scoring import engine
    from qc.scoring import service as scoring
    from qc.scoring.models import CallScore, ScorecardVersion
    from qc.transcription.models import Transcript, TranscriptSegment
    from qc.users.models import Role, Team, User

    five_minute_calls = _bench_scoring().five_minute_calls

    rng = random.Random(7)
    with session_scope() as session:
        team = Team(name="Bench")
        session.add(team)
        session.flush()
        rep = User(email="rep@bench.qc", name="Rep", role=Role.REP, team_id=team.id, password_hash="x")
        reviewer = User(email="reviewer@bench.qc", name="Reviewer", role=Role.REVIEWER, password_hash="x")
        session.add_all([rep, reviewer])
        session.flush()
        version = session.scalar(
            select(ScorecardVersion).where(
                ScorecardVersion.scorecard_id == "outbound-sales", ScorecardVersion.is_current
            )
        )
        assert version is not None
        card = scoring.scoring_card(session, version)
        ids = (team.id, rep.id, reviewer.id, version.id)
    team_id, rep_id, reviewer_id, version_id = ids
    made = 0
    for start in range(0, count, 500):
        calls = five_minute_calls(min(500, count - start))
        with session_scope() as session:
            for number, segments in enumerate(calls, start=start):
                at = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=number)
                call = Call(
                    rep_id=rep_id,
                    team_id=team_id,
                    started_at=at,
                    direction=Direction.OUTBOUND,
                    channel_layout=ChannelLayout.AGENT_LEFT,
                    sha256=f"{number:064x}",
                    storage_key=f"calls/bench/{number}.ogg",
                    original_filename=f"{number}.ogg",
                    container_format="ogg",
                    codec="vorbis",
                    size_bytes=1,
                    duration_s=300.0,
                    sample_rate=16000,
                    channels=2,
                    status=CallStatus.SCORED,
                    call_metadata={},
                )
                session.add(call)
                session.flush()
                transcript = Transcript(
                    call_id=call.id,
                    language="en",
                    language_probability=1.0,
                    model="tiny.en",
                    speakers_separated=True,
                    audio_duration_s=300.0,
                    speech_duration_s=280.0,
                    processing_s=1.0,
                    mean_word_probability=0.8,
                    redacted_at=at,
                )
                session.add(transcript)
                session.flush()
                session.execute(
                    insert(TranscriptSegment),
                    [
                        {
                            "transcript_id": transcript.id,
                            "position": position,
                            "speaker": s.speaker,
                            "start": s.start,
                            "end": s.end,
                            "text": s.text,
                            "avg_logprob": -0.2,
                            "no_speech_prob": 0.01,
                            "words": [
                                {"start": w.start, "end": w.end, "word": w.word, "probability": w.probability}
                                for w in s.words
                            ],
                        }
                        for position, s in enumerate(segments)
                    ],
                )
                result = engine.score_transcript(card, language="en", segments=segments, duration_s=300.0)
                session.add(  # as the pipeline stores it: the word forms the backtest reads first
                    CallScore(
                        call_id=call.id,
                        scorecard_version_id=version_id,
                        language="en",
                        score=result.score,
                        final_score=result.final_score,
                        word_forms=sorted(result.word_forms),
                    )
                )
                evaluation = Evaluation(
                    kind=EvaluationKind.REVIEW,
                    call_id=call.id,
                    reviewer_id=reviewer_id,
                    scorecard_version_id=version_id,
                    status=EvaluationStatus.SUBMITTED,
                    submitted_at=at + timedelta(hours=2),
                )
                session.add(evaluation)
                session.flush()
                verdicts = {r.item_id: r.status for r in result.items}
                rows = []
                for position, item in enumerate(card.items):
                    status = verdicts.get(item.id)
                    suggestion = form.suggested(item, status)
                    answer = (
                        suggestion if suggestion and rng.random() < AGREE else rng.choice(form.choices(item))
                    )
                    rows.append(
                        {
                            "evaluation_id": evaluation.id,
                            "position": position,
                            "item_id": item.id,
                            "answer": answer,
                            "auto_status": status,
                            "auto_answer": suggestion,
                        }
                    )
                session.execute(insert(EvaluationAnswer), rows)
                made += 1
        print(f"  {made} reviewed calls", flush=True)


def score_once(scorecard_id: str) -> tuple[float, int]:
    """Baseline: every reviewed call scored once with the revision in use (transcripts read
    in the same batches as the backtest)."""
    from sqlalchemy import select

    from qc.db import session_scope
    from qc.evaluations.models import Evaluation
    from qc.scoring import service as scoring
    from qc.transcription import service as transcription

    started = time.perf_counter()
    scored = 0
    with session_scope() as session:
        card = scoring.scoring_card(session, scoring.get_current(session, scorecard_id))
        call_ids = sorted(session.scalars(select(Evaluation.call_id)))
        for start in range(0, len(call_ids), 200):
            for transcript in transcription.transcript_rows(session, call_ids[start : start + 200]).values():
                scoring.prepare_check(card, transcript)()
                scored += 1
    return time.perf_counter() - started, scored


def drafts(published: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    def item(data: dict, item_id: str) -> dict:  # type: ignore[type-arg]
        return next(i for s in data["sections"] for i in s["items"] if i["id"] == item_id)

    phrase = copy.deepcopy(published)
    item(phrase, "company_name")["check"]["phrases"]["en"].append("calling on behalf of")
    presentation = copy.deepcopy(published)
    item(presentation, "presentation")["check"]["phrases"]["en"].append("what this gives you")
    label = copy.deepcopy(published)
    item(label, "greeting")["label"] = "Greets the customer warmly"
    return {
        "one phrase added (1 item run again)": phrase,
        "presentation phrase added (3 items: 2 windows refer to it)": presentation,
        "label only (nothing run again)": label,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()

    from qc.config import get_settings
    from qc.db import get_engine, session_scope
    from qc.evaluations.backtest import backtest
    from qc.migrations import upgrade
    from qc.scoring import service as scoring
    from qc.scoring.definitions import Scorecard
    from qc.users.models import Role
    from qc.users.schemas import Principal

    settings = get_settings()
    settings.ensure_dirs()
    upgrade(get_engine())
    scoring.sync_from_settings(settings.scorecards_dir)
    began = time.perf_counter()
    print(f"seeding {args.calls} reviewed 5-minute calls...", flush=True)
    seed(args.calls)
    print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)

    lead = Principal(id=0, email="lead@bench.qc", name="Lead", role=Role.QC_LEAD)
    baseline, scored = score_once("outbound-sales")
    rows = [("scoring every call once (baseline)", baseline, scored, "", "")]
    with session_scope() as session:
        published = scoring.get_current(session, "outbound-sales").definition
    for name, data in drafts(published).items():
        with session_scope() as session:
            started = time.perf_counter()
            report = backtest(session, lead, "outbound-sales", Scorecard.model_validate(data))
            took = time.perf_counter() - started
        rows.append(
            (
                f"backtest: {name}",
                took,
                report.calls,
                f"{report.changed_calls} ({report.unread} not read again)",
                f"{took / baseline:.2f}x",
            )
        )

    print(f"\n{args.calls} reviewed calls, one process, one thread (SQLite)\n")
    print("| what | seconds | calls | calls changed | vs scoring once |")  # unread: `read_alike`
    print("|---|---:|---:|---:|---:|")
    for name, seconds, calls, changed, ratio in rows:
        print(f"| {name} | {seconds:.1f} | {calls} | {changed} | {ratio} |")
    worst = max(seconds for name, seconds, *_ in rows if name.startswith("backtest"))
    verdict = "met" if worst < 10 else "not met"
    print(f"\ntarget: a backtest over {args.calls} reviewed calls in under 10 s: {verdict}")


if __name__ == "__main__":
    main()
