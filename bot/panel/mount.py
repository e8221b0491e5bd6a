"""The panel's pages mounted under /panel/ on the one web app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from bot.app import App
from bot.panel import broadcasts, cases, login, schedule, seasons, stats
from bot.panel.web import HERE, SECURITY_HEADERS, BadForm, Forbidden, NeedLogin, Panel


def install_panel(web: FastAPI, app: App) -> Panel:
    """Mount every panel page on `web` under /panel/."""
    panel = Panel(app)
    router = APIRouter(prefix="/panel")
    css = (HERE / "static" / "panel.css").read_text(encoding="utf-8")

    @router.get("/static/panel.css")
    async def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    for module in (login, cases, schedule, seasons, broadcasts, stats):
        module.routes(panel, router)
    web.include_router(router)

    @web.exception_handler(NeedLogin)
    async def _login(_: Request, __: NeedLogin) -> Response:
        return panel.redirect("/panel/login")

    @web.exception_handler(Forbidden)
    async def _forbidden(request: Request, __: Forbidden) -> Response:
        viewer = await panel.viewer(request)
        return panel.render(request, "forbidden.html", viewer, status_code=403)

    @web.exception_handler(BadForm)
    async def _bad_form(request: Request, __: BadForm) -> Response:
        html = panel.templates.get_template("bad_form.html").render(
            viewer=None, csrf_token="", flash=None, path=request.url.path
        )
        return HTMLResponse(html, status_code=400, headers=SECURITY_HEADERS)

    return panel
