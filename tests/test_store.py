"""The store on real SQLite and PostgreSQL: schema, privacy, one turn = one transaction."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text
from sqlmodel import select

from bot.app import App, build_app
from bot.channels.envelope import Envelope
from bot.privacy import DataKeyError, Vault, load_vault
from bot.service import PENDING_DUE, Service
from bot.store import (
    SchemaOutOfDate,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    unit_of_work,
    upgrade,
)
from bot.store.models import Contact, InboundReceipt, Outbox
from flows.engine import Content, step
from flows.session import Session, Turn
from flows.types import Channel, Inbound
from tests.conftest import FakeClock, make_settings
from tests.factories import turns_written

PHONE = "+51987654321"


def say(
    app: App,
    text: str,
    *,
    address: str = PHONE,
    external_id: str | None = None,
    service: Service | None = None,
) -> list[Outbox]:
    handled = (service or app.service).handle(
        Envelope(Inbound(Channel.WHATSAPP, text=text), address, external_id)
    )
    with unit_of_work(app.engine) as db:
        return [db.get(Outbox, i) for i in handled.outbox_ids]  # type: ignore[misc]


def test_schema_is_migrated_to_head(app: App) -> None:
    assert current_revision(app.engine) == head_revision()
    tables = set(inspect(app.engine).get_table_names())
    assert {
        "contact",
        "outbox",
        "inbound_receipt",
        "escalation_case",
        "defensora",
        "shift",
    } <= tables


def test_production_refuses_an_old_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    with pytest.raises(SchemaOutOfDate, match="defensoras db upgrade"):
        ensure_schema(engine, migrate=False)
    engine.dispose()


def test_no_phone_number_or_message_text_is_stored(app: App) -> None:
    say(app, "hola, mi numero es 999888777 y vivo en comas")
    with app.engine.connect() as connection:
        dump = []
        for table in ("contact", "inbound_receipt", "outbox"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                dump.append(json.dumps([str(v) for v in row]))
    everything = "\n".join(dump)
    assert PHONE not in everything and PHONE[1:] not in everything
    assert "999888777" not in everything
    assert "vivo en comas" not in everything


def test_contact_is_found_again_by_keyed_hash_and_decrypts(app: App) -> None:
    say(app, "hola")
    say(app, "1")
    with unit_of_work(app.engine) as db:
        contacts = db.exec(select(Contact)).all()
        assert len(contacts) == 1
        assert app.vault.decrypt(contacts[0].address_enc) == PHONE
        assert contacts[0].pseudonym.startswith("C-") and len(contacts[0].pseudonym) == 6


def test_redelivered_message_is_processed_once(app: App) -> None:
    first = say(app, "hola", external_id="SM123")
    again = app.service.handle(Envelope(Inbound(Channel.WHATSAPP, text="hola"), PHONE, "SM123"))
    assert first and again.duplicate and not again.outbox_ids
    with unit_of_work(app.engine) as db:
        assert len(db.exec(select(InboundReceipt)).all()) == 1
        assert len(db.exec(select(Outbox)).all()) == len(first)


def broken(app: App) -> Service:
    """The app's service with a core that raises (a bug in a flow), given at its port."""

    def explode(*_: object) -> Turn:
        raise RuntimeError("boom")

    return Service(app.engine, app.content, app.vault, app.clock, core=explode)


def test_a_failing_turn_leaves_nothing_half_done_and_loses_no_message(app: App) -> None:
    with pytest.raises(RuntimeError):
        say(app, "hola", external_id="SM1", service=broken(app))
    with unit_of_work(app.engine) as db:
        assert db.exec(select(Contact)).all() == []
        assert db.exec(select(Outbox)).all() == []
        (queued,) = db.exec(select(InboundReceipt)).all()
        assert (queued.status, queued.attempts) == ("pending", 1)
        assert queued.payload and "hola" not in queued.payload  # kept, encrypted, to retry
    app.clock.advance(minutes=2)  # type: ignore[attr-defined]
    assert app.service.process_pending() == 1  # the worker's sweep runs it once fixed
    with unit_of_work(app.engine) as db:
        (done,) = db.exec(select(InboundReceipt)).all()
        assert (done.status, done.payload) == ("done", None)
        assert len(db.exec(select(Outbox)).all()) == 1  # the greeting with its menu


def test_a_message_that_always_fails_is_parked_not_retried_forever(app: App) -> None:
    service = broken(app)
    with pytest.raises(RuntimeError):
        say(app, "hola", external_id="SM2", service=service)
    assert service.process_pending() == 0  # too soon: a failed turn waits before retrying
    with unit_of_work(app.engine) as db:
        assert db.exec(select(InboundReceipt)).one().attempts == 1
    for _ in range(4):
        app.clock.advance(hours=2)  # type: ignore[attr-defined]
        assert service.process_pending() == 0
    with unit_of_work(app.engine) as db:
        (parked,) = db.exec(select(InboundReceipt)).all()
        assert (parked.status, parked.attempts, parked.payload) == ("failed", 5, None)


def test_an_old_message_waits_out_each_retry_from_its_last_failure(app: App) -> None:
    """A backlog after an outage: a message two hours old whose turn fails waits 1, 4, 16 and
    64 minutes after each failure, not after its arrival (which would retry it at once, five
    times in a second, and park it with its text erased)."""
    service = broken(app)
    service.accept(Envelope(Inbound(Channel.WHATSAPP, text="hola"), PHONE, "SM-old"))
    app.clock.advance(hours=2)  # type: ignore[attr-defined]

    def attempts() -> tuple[str, int]:
        with unit_of_work(app.engine) as db:
            receipt = db.exec(select(InboundReceipt)).one()
            return receipt.status, receipt.attempts

    service.process_pending()
    assert attempts() == ("pending", 1)
    for tries, wait in enumerate((1, 4, 16, 64), start=1):
        app.clock.advance(minutes=wait, seconds=-1)  # type: ignore[attr-defined]
        service.process_pending()
        assert attempts() == ("pending", tries)  # still waiting after its last failure
        app.clock.advance(seconds=1)  # type: ignore[attr-defined]
        service.process_pending()
        assert attempts() == ("failed" if tries == 4 else "pending", tries + 1)


def test_borrar_deletes_the_contact_but_still_says_so(app: App) -> None:
    say(app, "ALTA")
    replies = say(app, "BORRAR")
    assert "Borré tus datos" in replies[0].text
    with unit_of_work(app.engine) as db:
        assert db.exec(select(Contact)).all() == []
        goodbye = db.exec(select(Outbox).where(Outbox.status == "pending")).all()
        assert [row.text for row in goodbye] == [replies[0].text]
        assert app.vault.decrypt(goodbye[0].address_enc) == PHONE


def test_borrar_also_erases_what_was_already_sent_to_her(app: App) -> None:
    say(app, "hola")
    say(app, "me insulta todo el dia")
    with unit_of_work(app.engine) as db:
        for row in db.exec(select(Outbox)).all():
            row.status, row.provider_id = "sent", "SMx"
    goodbye = say(app, "BORRAR")
    with unit_of_work(app.engine) as db:
        left = db.exec(select(Outbox)).all()
    assert [row.text for row in left] == [row.text for row in goodbye]  # only the goodbye


def test_session_survives_between_turns(app: App) -> None:
    say(app, "hola")
    replies = say(app, "1")  # find a CEM: asks for the district
    assert "distrito" in replies[-1].text.lower()
    replies = say(app, "comas")
    assert any("Comas" in r.text for r in replies)


def test_key_file_is_created_once_and_reused(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        f"sqlite:///{tmp_path / 'x.db'}", data_key=None, data_key_file=tmp_path / "k.key"
    )
    engine = make_engine(settings.database_url)
    ensure_schema(engine, migrate=True)
    first = load_vault(settings, engine)
    assert "Clave de datos nueva" in capsys.readouterr().err
    second = load_vault(settings, engine)
    assert capsys.readouterr().err == ""
    assert first.address_hash("whatsapp", PHONE) == second.address_hash("whatsapp", PHONE)
    assert (tmp_path / "k.key").stat().st_mode & 0o777 == 0o600


def test_a_wrong_key_is_refused() -> None:
    with pytest.raises(DataKeyError):
        Vault(b"not a key")


def test_migration_0006_copies_her_language_from_the_session(database_url: str) -> None:
    """Subscribers who chose English or Quechua before the upgrade get reminders in it."""
    engine = make_engine(database_url)
    upgrade(engine, "0005_languages")
    sessions = ['{"node": "main", "language": "en"}', "{}", '{"language": "qu"}']
    with engine.begin() as connection:
        for number, session in enumerate(sessions):
            connection.execute(
                text(
                    "INSERT INTO contact (channel, address_hash, address_enc, pseudonym, session,"
                    " created_at, unreachable, subscribed) VALUES ('whatsapp', :hash, 'x', :name,"
                    " :session, :now, :no, :yes)"
                ),
                {
                    "hash": f"h{number}",
                    "name": f"C-{number}",
                    "session": session,
                    "now": datetime(2026, 6, 1, tzinfo=UTC),
                    "no": False,
                    "yes": True,
                },
            )
    upgrade(engine)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT language FROM contact ORDER BY id")).scalars()
        assert list(found) == ["en", "es", "qu"]
    engine.dispose()


def test_migration_0008_keeps_the_wait_of_a_turn_failed_before_it(database_url: str) -> None:
    """A message whose turn failed before the upgrade has no failure time: its retry still
    comes, counted from its arrival as it was."""
    engine = make_engine(database_url)
    upgrade(engine, "0007_inbound_chat_key")
    arrived = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO inbound_receipt (channel, external_id, received_at, status, payload,"
                " attempts) VALUES ('whatsapp', 'SM-0007', :now, 'pending', 'x', 1)"
            ),
            {"now": arrived},
        )
    upgrade(engine)
    waits = {f"due{n}": arrived - timedelta(seconds=1) for n in range(1, 5)}
    due = {**waits, "cutoff": arrived, "limit": 10}  # dueN: its wait ends after this time
    with engine.connect() as connection:
        assert connection.execute(text("SELECT failed_at FROM inbound_receipt")).scalar() is None
        assert list(connection.execute(PENDING_DUE, due).scalars()) == []
        due["due1"] = arrived
        assert list(connection.execute(PENDING_DUE, due).scalars()) == [1]
    engine.dispose()


# -- the intake of `serve`: several turns in one transaction (SQLite) ------------------------

CONVERSATIONS = {  # a person's messages, in the order she sent them
    "+51987000001": ["hola", "vivo en comas", "1"],
    "+51987000002": ["buenas noches", "2"],
    "+51987000003": ["mi pareja me pego anoche y tengo miedo"],
}


def queue_interleaved(app: App, service: Service | None = None) -> list[int]:
    """Each conversation's messages accepted in turn, interleaved as a burst brings them."""
    service = service or app.service
    ids = []
    for round_ in range(3):
        for address, texts in CONVERSATIONS.items():
            if round_ < len(texts):
                envelope = Envelope(Inbound(Channel.WHATSAPP, text=texts[round_]), address)
                ids.append(service.accept(envelope))
    assert None not in ids
    return ids  # type: ignore[return-value]


def replies_by_person(app: App) -> dict[str, list[str]]:
    with unit_of_work(app.engine) as db:
        contacts = {c.id: app.vault.decrypt(c.address_enc) for c in db.exec(select(Contact))}
        rows = db.exec(select(Outbox).order_by(Outbox.id)).all()  # type: ignore[arg-type]
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(contacts.get(row.contact_id, "staff"), []).append(row.text)
        return found


def test_turns_run_together_answer_as_each_alone_in_each_persons_order(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, content: Content
) -> None:
    together = build_app(make_settings(sqlite_url), clock=clock, content=content, migrate=True)
    alone_url = f"sqlite:///{tmp_path / 'alone.db'}"
    alone = build_app(make_settings(alone_url), clock=clock, content=content, migrate=True)
    try:
        queue_interleaved(together)
        queue_interleaved(alone)
        assert together.service.process_pending(together=16) == 6
        assert alone.service.process_pending() == 6
        answered = replies_by_person(together)
        assert answered == replies_by_person(alone)
        assert len(answered["+51987000001"]) >= 3  # her 'vivo en comas' came after her 'hola'
        with unit_of_work(together.engine) as db:
            receipts = db.exec(select(InboundReceipt)).all()
            assert {(r.status, r.payload) for r in receipts} == {("done", None)}
    finally:
        together.engine.dispose()
        alone.engine.dispose()


def test_a_turn_that_fails_among_others_costs_them_nothing(sqlite_app: App) -> None:
    def explode_on_comas(session: Session, inbound: Inbound, content: Any, now: datetime) -> Turn:
        if inbound.text == "vivo en comas":
            raise RuntimeError("boom")
        return step(session, inbound, content, now)

    app = sqlite_app
    service = Service(app.engine, app.content, app.vault, app.clock, core=explode_on_comas)
    ids = queue_interleaved(app, service)
    assert service.process_pending(together=16) == 5  # the batch fell back to one by one
    with unit_of_work(app.engine) as db:
        states = {r.id: (r.status, r.attempts) for r in db.exec(select(InboundReceipt))}
    failed = ids[3]  # her second message
    assert states.pop(failed) == ("pending", 1)  # kept to retry, as a turn alone would be
    assert set(states.values()) == {("done", 0)}
    answered = replies_by_person(app)
    assert len(answered) >= 3 and all(answered.values())


def test_failed_turns_waiting_for_their_retry_never_hold_back_new_messages(
    sqlite_app: App,
) -> None:
    """A bad hour (a bug in a common turn, an outage) leaves many failed messages waiting for
    their retry; the intake reads the queue a page at a time, and a page of them alone must not
    keep a new message from its turn for the minutes they wait."""
    app = sqlite_app
    for n in range(80):
        app.service.accept(Envelope(Inbound(Channel.WHATSAPP, text="hola"), f"+5198701{n:04d}"))
    with unit_of_work(app.engine) as db:  # all of them failed once just now: due in a minute
        db.connection().execute(text("UPDATE inbound_receipt SET attempts = 1"))
    fresh = app.service.accept(Envelope(Inbound(Channel.WHATSAPP, text="hola"), PHONE))
    assert app.service.process_pending(64, together=16) == 1
    assert app.service.process_pending() == 0
    with unit_of_work(app.engine) as db:
        receipt = db.get_one(InboundReceipt, fresh)
        assert receipt.status == "done"
        waiting = db.exec(select(InboundReceipt).where(InboundReceipt.status == "pending")).all()
        assert len(waiting) == 80


def test_a_burst_of_new_chats_costs_few_statements_a_turn_on_sqlite(sqlite_app: App) -> None:
    """Issue 17, SQLite: the intake claims up to 8 messages in one UPDATE and commits them
    together; each turn reads her (created, message erased) and writes her session, the usage
    row and the replies: 6 statements a turn, the claim, BEGIN and COMMIT shared by 8 (7.3
    before: a read of the queue, then each message claimed on its own)."""
    app = sqlite_app
    chats = 64
    for chat in range(chats):
        app.service.accept(Envelope(Inbound(Channel.WHATSAPP, text="hola"), f"+5198{chat:07d}"))
        app.clock.advance(seconds=5)  # type: ignore[attr-defined]
    sent: list[str] = []
    app.engine.dispose()  # connections made from now on report each statement they run

    def traced(dbapi: Any, _record: Any) -> None:
        dbapi.set_trace_callback(lambda statement: sent.append(statement.split(None, 1)[0]))

    event.listen(app.engine, "connect", traced)
    assert app.service.process_pending(chats, together=8) == chats
    event.remove(app.engine, "connect", traced)
    app.engine.dispose()
    seasons = 2  # the panel's seasons, read once for the burst
    assert (len(sent) - seasons) / chats <= 6 + 3 / 8, Counter(sent)
    assert turns_written(app) == (chats, chats, chats, chats)
    with unit_of_work(app.engine) as db:  # what the driver wrote reads back as the ORM wrote it
        her = db.exec(select(Contact).order_by(Contact.id)).first()  # type: ignore[arg-type]
        assert her is not None and her.last_inbound_at is not None
        row = db.exec(select(Outbox).where(Outbox.contact_id == her.id)).one()
        receipt = db.exec(select(InboundReceipt).where(InboundReceipt.contact_id == her.id)).one()
    assert her.last_inbound_at == receipt.received_at == row.created_at == row.next_attempt_at
    assert her.created_at == receipt.received_at and her.last_inbound_at.tzinfo is not None
    assert app.vault.decrypt(row.address_enc) == app.vault.decrypt(her.address_enc)


def test_a_pooled_connection_is_checked_only_after_sitting_idle(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: no ping on every transaction (one round trip more per webhook and turn),
    but a connection the server ended while it sat idle in the pool is replaced, not used."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose")
    engine = make_engine(database_url)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(dbapi) or ping(dbapi))
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    for _ in range(5):  # in steady use: no ping
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == backend
    assert pings == []
    killer = make_engine(database_url)
    with killer.connect() as other:  # the server ends the idle one
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
    killer.dispose()
    monkeypatch.setattr("bot.store.engine.PING_AFTER_IDLE", 0.0)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
    assert len(pings) == 1
    engine.dispose()
