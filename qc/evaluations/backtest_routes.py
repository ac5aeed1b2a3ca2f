"""The backtest of a scorecard draft against what reviewers decided (API)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query

from qc.evaluations import agreement, backtest
from qc.evaluations.schemas import AgreementFigures, BacktestChangeRead, BacktestRead, ItemBacktestRead
from qc.kit.web import DB
from qc.scoring.routes import ScorecardId
from qc.users.web import CurrentUser

api = APIRouter(prefix="/api", tags=["scorecard editor"])


def _figures(stats: agreement.ItemAgreement) -> AgreementFigures:
    return AgreementFigures(
        reviewed=stats.reviewed,
        decided=stats.decided,
        agreed=stats.agreed,
        agreement=stats.agreement,
        fail_precision=stats.precision,
        fail_recall=stats.recall,
        left_to_person=stats.left_to_person,
    )


@api.post(
    "/scorecards/{scorecard_id}/draft/backtest", response_model=BacktestRead, name="api:scorecard_backtest"
)
def backtest_draft(
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    since: Annotated[date | None, Query(description="Only reviews submitted on or after this day")] = None,
) -> BacktestRead:
    """Run the draft's checks over every reviewed call of the scorecard and compare them, item
    by item, with the reviewers' final answers, next to the revision in use. Nothing changes."""
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    report = backtest.backtest_draft(session, principal, scorecard_id, since=start)
    return BacktestRead(
        scorecard_id=report.scorecard_id,
        revision=report.revision,
        calls=report.calls,
        skipped=report.skipped,
        changed_calls=report.changed_calls,
        seconds=round(report.seconds, 3),
        items=[
            ItemBacktestRead(
                item_id=i.after.item_id,
                label=i.after.label,
                section=i.after.section,
                check=i.after.check,
                published=_figures(i.before),
                draft=_figures(i.after),
                changed=i.changed,
            )
            for i in report.items
        ],
        changes=[
            BacktestChangeRead(
                call_id=c.call_id,
                evaluation_id=c.evaluation_id,
                item_id=c.item_id,
                published=c.before,
                draft=c.after,
                answer=c.answer,
                published_agreed=c.before_agreed,
                draft_agrees=c.after_agrees,
            )
            for c in report.changes
        ],
    )
