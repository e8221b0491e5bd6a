"""Panel plumbing: templates, the session cookie on each request, CSRF, roles, redirects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session as DB

from bot.app import App
from bot.panel.accounts import Viewer, viewer_for
from bot.panel.security import COOKIE, SESSION_HOURS, Cookie, Signer, new_cookie
from bot.roster import LIMA
from bot.store.engine import unit_of_work

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


class NeedLogin(Exception):
    """No valid session: the page answers 303 to the login form."""


class Forbidden(Exception):
    """Logged in, but this role may not see or do this."""


class BadForm(Exception):
    """A form without a valid CSRF token, or too large."""


WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def when(moment: datetime) -> str:
    """'jueves 03/12 14:00' in Lima time."""
    there = moment.astimezone(LIMA)
    return f"{WEEKDAYS[there.weekday()]} {there:%d/%m %H:%M}"


def local(moment: datetime | None, fmt: str = "%d/%m %H:%M") -> str:
    return "—" if moment is None else moment.astimezone(LIMA).strftime(fmt)


class Panel:
    """What every panel route shares: the app, the cookie signer and the templates."""

    def __init__(self, app: App) -> None:
        self.app = app
        secret = app.vault.address_hash("panel", "session-signing-key")
        self.signer = Signer(secret)
        self._flash = URLSafeSerializer(secret, salt="defensoras-panel-flash")
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["local"] = local
        self.templates.filters["when"] = when
        self.secure = (app.settings.public_base_url or "").startswith("https://")

    async def db(self, work: Callable[[DB], T]) -> T:
        """Run `work` in one transaction, off the event loop."""

        def run() -> T:
            with unit_of_work(self.app.engine) as db:
                return work(db)

        return await asyncio.to_thread(run)

    def cookie(self, request: Request) -> Cookie | None:
        return self.signer.load(request.cookies.get(COOKIE))

    async def viewer(self, request: Request) -> Viewer:
        """The logged-in account, or NeedLogin."""
        cookie = self.cookie(request)
        if cookie is None or cookie.user_id is None:
            raise NeedLogin
        user_id = cookie.user_id
        found = await self.db(lambda db: viewer_for(db, user_id, cookie.epoch))
        if found is None:
            raise NeedLogin
        request.state.cookie = cookie
        return found

    async def coordinator(self, request: Request) -> Viewer:
        viewer = await self.viewer(request)
        if not viewer.is_coordinator:
            raise Forbidden
        return viewer

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form, once its CSRF token matched the session's."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.app.settings.max_body_bytes:
            raise BadForm
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        if not self.signer.csrf_ok(self.cookie(request), fields.get("csrf_token")):
            raise BadForm
        return fields

    def set_cookie(self, response: Response, cookie: Cookie | None) -> None:
        if cookie is None:
            response.delete_cookie(COOKIE, path="/panel")
            return
        response.set_cookie(
            COOKIE,
            self.signer.dump(cookie),
            max_age=SESSION_HOURS * 3600,
            path="/panel",
            httponly=True,
            samesite="strict",
            secure=self.secure,
        )

    def render(
        self,
        request: Request,
        name: str,
        viewer: Viewer | None,
        status_code: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        cookie = getattr(request.state, "cookie", None) or self.cookie(request)
        fresh = cookie is None
        cookie = cookie or new_cookie()
        flash = self._read_flash(request.query_params.get("m"))
        html = self.templates.get_template(name).render(
            viewer=viewer,
            csrf_token=self.signer.csrf_token(cookie),
            flash=flash,
            path=request.url.path,
            **values,
        )
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        if fresh:
            self.set_cookie(response, cookie)
        return response

    def redirect(self, to: str, message: str | None = None, *, error: bool = False) -> Response:
        """Post/redirect/get, with a signed one-line message for the next page."""
        if message is not None:
            to += "?" + urlencode({"m": self._flash.dumps([error, message])})
        return RedirectResponse(to, status_code=303, headers=SECURITY_HEADERS)

    def _read_flash(self, raw: str | None) -> dict[str, object] | None:
        if not raw:
            return None
        try:
            error, message = self._flash.loads(raw)
        except (BadSignature, ValueError, TypeError):
            return None
        return {"error": bool(error), "text": str(message)}


SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
}
