"""/panel/login and /panel/logout."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from bot.panel.accounts import LoginResult, end_sessions, login_allowed, record_login
from bot.panel.security import new_cookie, verify_password
from bot.panel.web import Panel, local


def routes(panel: Panel, router: APIRouter) -> None:
    @router.get("/")
    async def home(request: Request) -> Response:
        await panel.viewer(request)
        return panel.redirect("/panel/cases")

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        return panel.render(request, "login.html", None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await panel.form(request)
        username, password = form.get("username", ""), form.get("password", "")
        now = panel.app.clock()
        wait, stored = await panel.db(lambda db: login_allowed(db, username, now))
        if wait is not None:
            result = LoginResult(retry_at=wait)
        else:
            ok = await asyncio.to_thread(verify_password, stored, password)
            result = await panel.db(lambda db: record_login(db, username, ok, now))
        if result.user is None or result.user.id is None:
            message = "Usuario o contraseña incorrectos."
            if result.retry_at is not None:
                when = local(result.retry_at, "%H:%M:%S")
                message += f" Demasiados intentos: vuelve a probar después de las {when}."
            return panel.render(request, "login.html", None, status_code=401, error=message)
        # A fresh nonce at login: a cookie planted before it (session fixation) is worthless.
        response = panel.redirect("/panel/cases")
        panel.set_cookie(response, new_cookie(result.user.id, result.user.session_epoch))
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        viewer = await panel.viewer(request)
        await panel.form(request)
        now = panel.app.clock()
        await panel.db(lambda db: end_sessions(db, viewer.user_id, now))
        response = panel.redirect("/panel/login", "Sesión cerrada.")
        panel.set_cookie(response, None)
        return response
