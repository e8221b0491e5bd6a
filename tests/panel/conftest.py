"""The panel's in-process client: the whole web app, a team with panel accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import App
from bot.web import build_web
from tests.panel.helpers import configure, seed_team


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    configure(app)
    seed_team(app)
    transport = httpx.ASGITransport(app=build_web(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
