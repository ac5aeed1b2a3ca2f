"""The wall board: the signed-in board page with its display links, and the display itself
(/wall/{token}), which nobody signs in to."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qc.board import links, service
from qc.board.service import BoardPage
from qc.errors import InvalidInput
from qc.kit.web import DB, Id, SettingsDep, render
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)


def _page(request: Request, page: BoardPage, status_code: int = 200, **extra: Any) -> Response:
    context = {"page": page, "board": page.board, "errors": {}, "form": {}, "new_link": None, **extra}
    return render(request, "board/team.html", context, status_code=status_code)


@pages.get("/board/{team_id}", name="board:team")
def board_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    ranking: bool = False,
) -> Response:
    page = service.board_page(session, principal, team_id, settings=settings, show_ranking=ranking)
    return _page(request, page, ranking=ranking)


@pages.post("/board/{team_id}/links", name="board:link_create")
def create_link(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    label: Annotated[str, Form(max_length=1000)] = "",
    show_ranking: Annotated[bool, Form()] = False,
) -> Response:
    try:
        made = links.create_link(session, principal, team_id, label=label, show_ranking=show_ranking)
    except InvalidInput as exc:
        page = service.board_page(session, principal, team_id, settings=settings)
        errors = {exc.field or "label": exc.message}
        form = {"label": label, "show_ranking": show_ranking}
        return _page(request, page, exc.status_code, errors=errors, form=form)
    page = service.board_page(session, principal, team_id, settings=settings)
    url = str(request.url_for("board:display", token=made.token))
    # The link is on this response only: it is never stored, and never shown again.
    response = _page(request, page, new_link={"link": made.link, "url": url})
    response.headers["HX-Push-Url"] = request.url_for("board:team", team_id=team_id).path
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/board/{team_id}/links/{link_id}/revoke", name="board:link_revoke")
def revoke_link(request: Request, session: DB, principal: CurrentUser, team_id: Id, link_id: Id) -> Response:
    links.revoke_link(session, principal, team_id, link_id)
    target = request.url_for("board:team", team_id=team_id).path + "#display-links"
    return RedirectResponse(target, status_code=303)


# The display: no sign-in, read-only (qc.board.web adds its headers; qc.kit.csrf sets no cookie on it).


@pages.get("/wall/{token}", name="board:display")
def display(request: Request, session: DB, settings: SettingsDep, token: str) -> Response:
    board = service.display(session, token, settings=settings)
    return render(request, "board/wall.html", {"board": board, "token": token})


@pages.get("/wall/{token}/board", name="board:display_fragment")
def display_fragment(request: Request, session: DB, settings: SettingsDep, token: str) -> Response:
    board = service.display(session, token, settings=settings)
    return render(request, "board/_board.html", {"board": board})
