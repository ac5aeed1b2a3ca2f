"""Suggestions from reviewers on the demo's reviewed calls, measured by the backtest.

    python bench/suggestions.py [--data-dir DIR]

Seeds the demo in a scratch data folder (or reads one already seeded, e.g. `var`), mines
the suggestions of every phrase check of every scorecard from the reviewed calls, accepts
each one whose effect raises its item's agreement into the scorecard's draft (as "Add this
phrase" does), then runs the backtest of the draft, the same one the publish page shows,
and prints the agreement of the items the suggestions touched, before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", help="a data folder the demo was seeded in (default: a new one)")
    args = parser.parse_args()
    os.environ["QC_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="qc-bench-suggestions-")
    os.environ.setdefault("QC_LOG_LEVEL", "WARNING")

    from sqlalchemy import select

    from qc.cli import _migrate
    from qc.db import session_scope
    from qc.demo.seed import seed_demo
    from qc.evaluations import backtest, suggestions
    from qc.scoring import editor
    from qc.scoring import service as scoring
    from qc.scoring.definitions import PhraseCheck
    from qc.users.models import User
    from qc.users.service import principal_for

    _migrate()  # the schema and the scorecard files, as `qc demo` starts
    started = time.perf_counter()
    if not args.data_dir:
        seed_demo(process=False, echo=lambda _: None)
        print(f"Demo seeded in {time.perf_counter() - started:.0f} s")
    with session_scope() as session:
        lead = principal_for(session, session.scalars(select(User).where(User.email == "lead@demo.qc")).one())
        ids = [v.scorecard_id for v in scoring.current_versions(session)]
    for scorecard_id in ids:
        touched: dict[str, list[str]] = {}
        with session_scope() as session:
            if any(d.scorecard_id == scorecard_id for d in editor.drafts(session, lead)):
                editor.discard_draft(session, lead, scorecard_id)
            card = scoring.scoring_card(session, scoring.get_current(session, scorecard_id))
            cases = suggestions.cases_for(session, scorecard_id)
            mined = time.perf_counter()
            found = [
                suggestions.mine(card, item.id, cases)
                for item in card.items
                if isinstance(item.check, PhraseCheck)
            ]
            mined = time.perf_counter() - mined
        print(f"\n## {scorecard_id}: {len(cases)} reviewed calls, mined in {mined:.1f} s")
        for item in found:
            for s in item.suggestions:
                helps = s.after is not None and s.before is not None and s.after.agreed > s.before.agreed
                print(
                    f"- {item.item_id}: {s.kind} ({s.language}) {s.text!r} in {s.support} overridden "
                    f"calls; alone: {s.before.agreed if s.before else '?'} -> "
                    f"{s.after.agreed if s.after else '?'} agreed{'; accepted' if helps else '; left'}"
                )
                if helps:
                    with session_scope() as session:
                        suggestions.accept(
                            session,
                            lead,
                            scorecard_id,
                            item_id=item.item_id,
                            kind=s.kind,
                            language=s.language,
                            text=s.text,
                        )
                    touched.setdefault(item.item_id, []).append(s.text)
        if not touched:
            print("No suggestion accepted.")
            continue
        with session_scope() as session:
            report = backtest.backtest_draft(session, lead, scorecard_id)
        print(f"\nBacktest of the draft over {report.calls} reviewed calls ({report.seconds:.1f} s):\n")
        print(
            "| item | accepted | agreement before | after | fail precision before | after | calls changed |"
        )
        print("|---|---|---:|---:|---:|---:|---:|")
        for comparison in report.items:
            if comparison.after.item_id not in touched:
                continue
            b, a = comparison.before, comparison.after

            def pct(value: float | None) -> str:
                return "—" if value is None else f"{value:.3f}"

            print(
                f"| {a.item_id} | {', '.join(touched[a.item_id])} | {pct(b.agreement)} | "
                f"{pct(a.agreement)} | {pct(b.precision)} | {pct(a.precision)} | {comparison.changed} |"
            )


if __name__ == "__main__":
    main()
