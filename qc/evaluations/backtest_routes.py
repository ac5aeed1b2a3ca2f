"""The backtest of a scorecard draft against what reviewers decided (API)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.evaluations import agreement, backtest, form, suggestions
from qc.evaluations.schemas import AgreementFigures, BacktestChangeRead, BacktestRead, ItemBacktestRead
from qc.kit.web import DB, render
from qc.scoring.routes import ScorecardId
from qc.users.web import CurrentUser

api = APIRouter(prefix="/api", tags=["scorecard editor"])
pages = APIRouter(include_in_schema=False)


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


# Pages -------------------------------------------------------------------------------------------


@pages.get("/scorecards/{scorecard_id}/backtest", name="evaluations:backtest")
def backtest_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    since: Annotated[date | None, Query()] = None,
) -> Response:
    """The draft against the reviewed calls, item by item, and the form that publishes it."""
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    report = backtest.backtest_draft(session, principal, scorecard_id, since=start)
    context = {
        "report": report,
        "since": since,
        "answer_label": form.label,
        "changed_ids": sorted({c.call_id for c in report.changes}),
        "labels": {i.after.item_id: i.after.label for i in report.items},
    }
    return render(request, "evaluations/backtest.html", context)


ItemId = Annotated[str, Path(pattern=r"^[a-z0-9_]+$", max_length=60)]


@pages.get("/scorecards/{scorecard_id}/items/{item_id}/suggestions", name="evaluations:suggestions")
def suggestions_fragment(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    item_id: ItemId,
    back: Annotated[str, Query(pattern="^(edit|agreement)$")] = "edit",
) -> Response:
    """Phrases and exceptions mined from the reviewers' overrides of one item (a fragment
    the editor and the item's agreement page load)."""
    found = suggestions.for_item(session, principal, scorecard_id, item_id)
    context = {"scorecard_id": scorecard_id, "found": found, "back": back}
    return render(request, "evaluations/_suggestions.html", context)


@pages.post("/scorecards/{scorecard_id}/items/{item_id}/suggestions", name="evaluations:suggestion_accept")
def accept_suggestion(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    item_id: ItemId,
    kind: Annotated[str, Form(max_length=20)],
    language: Annotated[str, Form(max_length=10)],
    text: Annotated[str, Form(max_length=200)],
    back: Annotated[str, Form(pattern="^(edit|agreement)$")] = "edit",
) -> Response:
    """Add a suggestion to the draft; the person still publishes it."""
    suggestions.accept(
        session, principal, scorecard_id, item_id=item_id, kind=kind, language=language, text=text
    )
    if back == "agreement":
        url = request.url_for("evaluations:agreement_item", scorecard_id=scorecard_id, item_id=item_id)
        return RedirectResponse(f"{url.path}?added=1", status_code=303)
    url = request.url_for("scorecards:edit", scorecard_id=scorecard_id)
    return RedirectResponse(f"{url.path}?saved=1#item-{item_id}", status_code=303)
