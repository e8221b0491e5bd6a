"""Operations over HTTP: `GET /healthz` (the database, each channel) and `GET /metrics`."""

from __future__ import annotations

import asyncio
import hmac
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, text
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot import metrics
from bot.app import App
from bot.store.engine import StoreBusy, is_lock_error, serialized, unit_of_work
from bot.store.models import Case, Outbox, OutboxStatus

log = logging.getLogger(__name__)
RETRY = {"Retry-After": "5"}
"""Sent with a 503 while the store is busy: the caller (or the provider) tries again soon."""


def operations_routes(app: App, channels: dict[str, str]) -> APIRouter:
    """`GET /healthz` (database and channels) and `GET /metrics` (bearer METRICS_TOKEN)."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> Response:
        """200 while the database answers and takes writes; each channel ok, off or what fails."""
        body: dict[str, object] = {"status": "ok", "database": "ok", "channels": channels}
        try:
            await asyncio.to_thread(_ping_db, app)
        except StoreBusy:
            body.update(status="error", database="locked")
            return JSONResponse(body, status_code=503, headers=RETRY)
        except Exception as exc:
            log.error("healthz: database unreachable: %s", type(exc).__name__)
            body.update(status="error", database="unreachable")
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    @router.get("/metrics")
    async def prometheus(request: Request) -> Response:
        token = app.settings.metrics_token
        if token is None:
            return JSONResponse({"error": "metrics are off: set METRICS_TOKEN"}, status_code=403)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            return JSONResponse(
                {"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        await asyncio.to_thread(refresh_gauges, app)
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _ping_db(app: App) -> None:
    """A read everywhere; on SQLite also the write lock, taken and given back at once."""
    if app.engine.dialect.name != "sqlite":
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return
    with serialized(app.engine), app.engine.connect() as connection:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as exc:
            if is_lock_error(exc):
                raise StoreBusy("the database is locked") from exc
            raise
        connection.exec_driver_sql("ROLLBACK")


def refresh_gauges(app: App) -> None:
    """Queue depth and open cases, read at scrape time."""
    with unit_of_work(app.engine) as db:
        waiting = (OutboxStatus.PENDING, OutboxStatus.SENDING)
        rows = db.exec(
            select(col(Outbox.channel), col(Outbox.status), func.count())
            .where(col(Outbox.status).in_(waiting))
            .group_by(col(Outbox.channel), col(Outbox.status))
        ).all()
        metrics.QUEUE_DEPTH.clear()
        for channel, status, count in rows:
            metrics.QUEUE_DEPTH.labels(channel, status).set(count)
        cases = db.exec(
            select(col(Case.status), func.count())
            .where(col(Case.status) != "closed")
            .group_by(col(Case.status))
        ).all()
        metrics.OPEN_CASES.clear()
        for status, count in cases:
            metrics.OPEN_CASES.labels(status).set(count)
