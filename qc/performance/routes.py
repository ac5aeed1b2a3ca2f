"""The team pages and the rep pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from qc.kit.pagination import PageRequest
from qc.kit.web import DB, Id, PageNumber, SettingsDep, render
from qc.performance import service
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)


@pages.get("/team", name="performance:teams")
def teams_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    teams = service.visible_teams(session, principal)
    if len(teams) == 1:
        return RedirectResponse(
            request.url_for("performance:team", team_id=teams[0].id).path, status_code=303
        )
    return render(request, "performance/teams.html", {"teams": teams})


@pages.get("/team/{team_id}", name="performance:team")
def team_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, team_id: Id
) -> Response:
    view = service.team_view(session, principal, team_id, settings=settings)
    return render(request, "performance/team.html", {"view": view})


@pages.get("/reps/{rep_id}", name="performance:rep")
def rep_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep_id: Id,
    page: PageNumber = 1,
) -> Response:
    view = service.rep_view(session, principal, rep_id, settings=settings, page=PageRequest(page, 25))
    return render(request, "performance/rep.html", {"view": view})
