"""BORRAR leaves none of her words or her address behind (issue 13 item 2), on SQLite and
PostgreSQL: not in the pings and relays sent to defensoras, not in the goodbye once it went,
not as a pseudonym on her case; the SQLite file is private and erased pages are overwritten."""

# ruff: noqa: F811  (the test takes the imported `pipe` fixture as an argument)
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlmodel import col, select

from bot.store import make_engine, unit_of_work
from bot.store.models import ERASED_PSEUDONYM, Outbox, OutboxStatus
from tests.case_pipeline import (
    ANA,
    THREAT,
    Pipeline,
    pipe,  # noqa: F401  (a fixture)
    roster,
)

LATER = "estoy encerrada en el baño de la casa de mi suegra"


def _rows(pipe: Pipeline) -> list[Outbox]:
    with unit_of_work(pipe.app.engine) as db:
        return list(db.exec(select(Outbox).order_by(col(Outbox.id))).all())


async def test_borrar_erases_her_words_from_the_defensoras_outbox(pipe: Pipeline) -> None:
    roster(pipe.app)
    pipe.whatsapp(THREAT)
    pipe.whatsapp("1")
    await pipe.drain()  # the pages went out
    pipe.tg(ANA, "/tomar 1")
    pipe.whatsapp(LATER)  # relayed to Ana
    pipe.whatsapp(THREAT)  # danger again: copied to the coordinator, still pending
    about_her = [r for r in _rows(pipe) if r.case_id == 1]
    assert any("matar" in r.text for r in about_her)
    assert any("suegra" in r.text for r in about_her)
    assert {r.status for r in about_her} & {OutboxStatus.PENDING}
    pseudonym = pipe.case().pseudonym

    pipe.whatsapp("BORRAR")
    rows = _rows(pipe)
    for row in rows:
        assert "matar" not in row.text and "suegra" not in row.text, row.kind
        assert pseudonym not in row.text
    about_her = [r for r in rows if r.case_id == 1]
    assert about_her and all(r.text == "" for r in about_her)
    assert OutboxStatus.PENDING not in {r.status for r in about_her}  # never sent now
    assert pipe.case().pseudonym == ERASED_PSEUDONYM
    assert pipe.case().status == "closed"

    await pipe.drain()  # the goodbye to her, the notice to Ana
    goodbye = [r for r in _rows(pipe) if r.contact_id is None and r.case_id is None]
    assert goodbye and all(r.status == OutboxStatus.SENT for r in goodbye)
    assert all(r.address_enc == "" and r.text == "" for r in goodbye)
    assert pipe.wa_texts()[-1]  # she did get the goodbye


def test_the_sqlite_file_is_private_and_erased_pages_are_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE t (x)")
    for side in (path, path.with_name("private.db-wal")):
        if side.exists():
            assert side.stat().st_mode & 0o077 == 0
