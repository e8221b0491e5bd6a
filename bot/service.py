"""One turn = one transaction: dedupe, load session, step, save, write outbox rows and effects."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Engine,
    Integer,
    and_,
    any_,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    or_,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session as DB
from sqlmodel import col

from bot import defensora, escalation, person, roster
from bot.channels.envelope import Envelope, decode_envelope, encode_envelope
from bot.clock import Clock
from bot.compose import compose
from bot.flood import unflooded
from bot.privacy import Vault
from bot.store.contacts import ContactBook, Found
from bot.store.engine import StoreBusy, is_lock_error, single_statement, unit_of_work
from bot.store.models import Contact, InboundReceipt, UTCDateTime
from bot.store.outbox import queue_message
from bot.store.seasons import SeasonCache
from bot.store.turn import write_turn
from bot.store.usage import record_turn, usage_row
from flows.effects import Forget
from flows.engine import Content, step
from flows.session import Session, Turn
from flows.types import Inbound

log = logging.getLogger(__name__)
_T = TypeVar("_T")
Core = Callable[[Session, Inbound, Content, datetime], Turn]
"""The pure step the service runs each turn through (`flows.engine.step`)."""
MAX_TURN_ATTEMPTS = 5
"""An inbound message whose turn fails this often is parked as 'failed' (logged, not retried)."""
UTC_TS = UTCDateTime()
ACCEPT = insert(InboundReceipt).returning(col(InboundReceipt.id))
_RECEIPT = col(InboundReceipt.id) == bindparam("receipt_id")
CLAIM = (
    update(InboundReceipt)
    .where(_RECEIPT, col(InboundReceipt.status) == "pending")
    .values(status="done")
    .returning(col(InboundReceipt.payload), col(InboundReceipt.received_at))
)
"""Claim (and erase, `ContactBook.for_turn`) in the turn's own transaction: a crash leaves it
pending, a second processor waits on the row and then finds it done."""
_QUEUE = InboundReceipt.__table__  # type: ignore[attr-defined]


def _due(receipt: Any) -> ColumnElement[bool]:
    """Not waiting out a failed turn's delay (`retry_delay`: bound as due1..due4), counted
    from its last failure (from its arrival for a row failed before migration 0008)."""
    failed = func.coalesce(receipt.c.failed_at, receipt.c.received_at)
    waited = (
        and_(
            receipt.c.attempts == literal_column(str(n)),
            failed <= bindparam(f"due{n}", type_=UTC_TS),
        )
        for n in range(1, MAX_TURN_ATTEMPTS)
    )
    return or_(receipt.c.attempts == literal_column("0"), *waited)


CLAIM_WINDOW = 128
HEADS_TOGETHER = 8
"""A PostgreSQL processor runs up to this many chats' turns in one transaction (half the chats
waiting, when fewer wait: another processor takes the rest meanwhile)."""
"""A PostgreSQL processor reads this many of the oldest due messages at a time and claims
them chat by chat (`CLAIM_HEAD`)."""
_PENDING: ColumnElement[str] = literal_column("'pending'")
"""Inline, not bound: the planner must see the partial index's own predicate."""
OLDEST = (
    sa_select(_QUEUE.c.id, _QUEUE.c.chat_key)
    .where(
        _QUEUE.c.status == _PENDING,
        _QUEUE.c.received_at <= bindparam("cutoff", type_=UTC_TS),
        _due(_QUEUE),
    )
    .order_by(_QUEUE.c.id)
    .limit(CLAIM_WINDOW)
)
"""The candidates: a plain ordered read (the old global queue's), whatever the statistics."""


def _claim_head(keyed: bool) -> Any:
    """PostgreSQL: claim one candidate if it is still the oldest due message of its chat,
    skipping it if another processor holds it; claimed (and later erased) in the turn's own
    transaction, like CLAIM.

    Order per chat holds because a processor running a chat's message holds its row, still
    'pending' to everyone else until the turn commits: the chat's next message has an older one
    queued, so nobody takes it. Other chats' heads are free, so two workers run two chats at
    once instead of queueing on one row. A message queued before migration 0007 (no key) waits
    for every older one, and every later one waits for it: the global order it had. The key is
    bound, not joined: each check is a lookup on ix_inbound_chat_pending."""
    older = _QUEUE.alias("older")

    def queued_before(same_chat: ColumnElement[bool]) -> Any:
        return exists().where(
            same_chat, older.c.status == _PENDING, older.c.id < _RECEIPT.right, _due(older)
        )

    checks = [~queued_before(older.c.chat_key.is_(None))]
    if keyed:
        checks.append(~queued_before(older.c.chat_key == bindparam("chat")))
    else:  # a message without a key waits for every older one
        checks = [~queued_before(literal_column("true"))]
    pick = (
        sa_select(_QUEUE.c.id)
        .where(_RECEIPT, _QUEUE.c.status == _PENDING, *checks)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(_QUEUE)
        .where(_QUEUE.c.id == pick)
        .values(status="done")
        .returning(_QUEUE.c.payload, _QUEUE.c.received_at)
    )


def _claim_heads() -> Any:
    """PostgreSQL: `CLAIM_HEAD` for several candidates (each its chat's head, all keyed) at
    once: the ones still the oldest due message of their chat and held by nobody, claimed in
    one statement. Each check is a subquery with LIMIT 1, looked up on ix_inbound_chat_pending
    for each candidate: never a join the planner may turn into a scan of the whole queue. The
    choice is materialised, so the claim is decided once (see `outbox.claim_batch`)."""
    head, older = _QUEUE.alias("head"), _QUEUE.alias("older")

    def first_before(same_chat: ColumnElement[bool]) -> Any:
        return (
            sa_select(literal_column("1"))
            .where(same_chat, older.c.status == _PENDING, older.c.id < head.c.id, _due(older))
            .limit(1)
            .correlate(head)
            .scalar_subquery()
        )

    chosen = (
        sa_select(head.c.id)
        .where(
            head.c.id == any_(bindparam("ids", type_=ARRAY(Integer))),
            head.c.status == _PENDING,
            head.c.chat_key.is_not(None),
            first_before(older.c.chat_key == head.c.chat_key).is_(None),
            first_before(older.c.chat_key.is_(None)).is_(None),
        )
        .with_for_update(skip_locked=True, of=head)
        .cte("chosen")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(_QUEUE)
        .where(_QUEUE.c.id == chosen.c.id)
        .values(status="done")
        .returning(_QUEUE.c.id, _QUEUE.c.payload, _QUEUE.c.received_at)
    )


CLAIM_HEADS = _claim_heads()
PENDING_DUE = (
    sa_select(_QUEUE.c.id)
    .where(
        _QUEUE.c.status == "pending",
        _QUEUE.c.received_at <= bindparam("cutoff", type_=UTC_TS),
        _due(_QUEUE),
    )
    .order_by(_QUEUE.c.id)
    .limit(bindparam("limit"))
)
"""SQLite: the ids of the queued messages due for their turn, oldest first (`_due_values`)."""
CLAIM_DUE = (
    update(_QUEUE)
    .where(_QUEUE.c.id.in_(PENDING_DUE), _QUEUE.c.status == "pending")
    .values(status="done")
    .returning(_QUEUE.c.id, _QUEUE.c.payload, _QUEUE.c.received_at)
)
"""SQLite: claim (as CLAIM) the oldest `limit` messages due for their turn, in one statement."""
CLAIM_HEAD = {True: _claim_head(True), False: _claim_head(False)}


def heads(window: Sequence[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    """The oldest message of each chat among the oldest queued, up to the first one queued
    without a key (which waits for all before it): the ones a claim may take."""
    chosen: list[tuple[int, int | None]] = []
    seen: set[int] = set()
    for position, (receipt_id, key) in enumerate(window):
        if key is None:
            if position == 0:
                chosen.append((receipt_id, key))
            break
        if key not in seen:
            seen.add(key)
            chosen.append((receipt_id, key))
    return chosen


@dataclass(slots=True)
class Handled:
    duplicate: bool = False
    pseudonym: str | None = None
    outbox_ids: list[int] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """After a failed turn: 1, 4, 16, 64 minutes."""
    return timedelta(seconds=15 * 4**attempts)


class Service:
    """Runs turns. Channels call `handle`; a person's session is written here and, for the
    safety question after a case closes, in `bot/person.py`; nowhere else."""

    def __init__(
        self,
        engine: Engine,
        content: Content,
        vault: Vault,
        clock: Clock,
        policy: escalation.Policy | None = None,
        *,
        core: Core = step,
    ) -> None:
        self.engine = engine
        self.content = content
        self.contacts = ContactBook(vault)
        self.clock = clock
        self.core = core
        self.policy = policy or escalation.Policy()
        self.cases = escalation.CaseContext(content, self.policy)
        self.seasons = SeasonCache()

    def handle(self, envelope: Envelope) -> Handled:
        """Accept and process one inbound message now (console, polling, tests)."""
        accepted = self.accept(envelope)
        if accepted is None:
            return Handled(duplicate=True)
        return self.process(accepted)

    def accept(self, envelope: Envelope) -> int | None:
        """Durably queue an inbound message: one INSERT. None when it was already received.

        The provider's id is the unique key, so a redelivery is acknowledged and dropped. The
        message waits encrypted until a turn processes it, and is erased by that same turn.
        """
        values = {
            "channel": envelope.inbound.channel.value,
            "external_id": envelope.external_id or f"local:{uuid.uuid4().hex}",
            "chat_message_id": envelope.chat_message_id,
            "chat_key": self.contacts.vault.chat_key(
                envelope.inbound.channel.value, envelope.address
            ),
            "received_at": self.clock(),
            "status": "pending",
            "payload": self.contacts.vault.encrypt(encode_envelope(envelope)),
            "attempts": 0,
        }
        try:  # Core, not the ORM: this is the hot path of every webhook; one round trip
            with single_statement(self.engine) as connection:
                inserted = connection.execute(ACCEPT, values)
                return cast(int, inserted.scalar_one())
        except IntegrityError:
            return None
        except OperationalError as exc:  # locked past the bounded wait: the webhook answers 503
            if is_lock_error(exc):
                raise StoreBusy("the database is locked") from exc
            raise

    def process(self, receipt_id: int | None) -> Handled:
        """Run the turn of one accepted message, exactly once even with many processors."""
        if receipt_id is None:
            return Handled(duplicate=True)
        return self._retrying(receipt_id, lambda: self._process_once(receipt_id))

    def _retrying(self, receipt_id: int, turn: Callable[[], _T]) -> _T:
        """Run ``turn``, again after a race to create her (up to 3 tries); a failure counts
        against the message (`_give_up`) and is raised."""
        for attempt in range(3):
            try:
                return turn()
            except IntegrityError:  # two first messages of one person raced to create her
                if attempt == 2:
                    self._give_up(receipt_id)
                    raise
            except Exception:
                self._give_up(receipt_id)
                raise
        raise AssertionError("unreachable")

    def process_pending(
        self, limit: int = 50, older_than: timedelta | None = None, *, together: int = 1
    ) -> int:
        """Process queued messages, each chat in arrival order (a crashed web process leaves
        some; `serve --no-worker` leaves them all). PostgreSQL: several processors at once,
        each on chats the others do not hold; SQLite: one writer, in global order, and with
        `together` > 1 (the intake of `serve`) up to that many turns share one transaction:
        one writer lock, one commit (see `process_together`)."""
        if self.engine.dialect.name == "postgresql":
            return self._process_by_chat(limit, older_than)
        # A turn that failed waits before its next try (a deadlock or an outage passes); the
        # wait is read in the query, so a page of failed messages never hides the due ones.
        if together > 1:
            taken, done, full = 0, 0, True
            while full and taken < limit:  # a batch as large as asked for: more may be queued
                size = min(together, limit - taken)
                claimed, ran = self.process_together(size, older_than)
                taken, done, full = taken + claimed, done + ran, claimed == size
            return done
        with unit_of_work(self.engine) as db:
            found = db.connection().execute(PENDING_DUE, self._due_values(older_than, limit))
            ids: list[int | None] = list(found.scalars())
        return self._each_alone(ids)

    def _each_alone(self, receipt_ids: Sequence[int | None]) -> int:
        """Each message's turn in its own transaction; a failure is logged (and counted by
        `process`), the others still run. How many turns ran."""
        done = 0
        for receipt_id in receipt_ids:
            try:
                done += not self.process(receipt_id).duplicate
            except Exception:
                log.exception("inbound receipt %s failed", receipt_id)
        return done

    def process_together(self, limit: int, older_than: timedelta | None) -> tuple[int, int]:
        """SQLite: the turns of the oldest `limit` messages due, in one transaction, so a burst
        pays one claim (`CLAIM_DUE`), one writer lock and one commit for them all; each runs in
        id order, and a person's later message sees what her earlier one wrote. Should any
        turn fail, the whole transaction is rolled back and each runs alone (`process`, which
        counts its failures), so one bad message never costs the others their turn. How many
        were claimed, and how many turns ran."""
        ids: list[int] = []
        turns: list[tuple[Handled, str]] = []
        try:
            with unit_of_work(self.engine) as db:
                connection = db.connection()  # Core, prepared once: no ORM work on the hot path
                claimed = connection.execute(CLAIM_DUE, self._due_values(older_than, limit))
                rows = sorted(claimed.all())
                ids = [row[0] for row in rows]
                for receipt_id, payload, received_at in rows:
                    if payload is not None:
                        turns.append(self._run(db, receipt_id, payload, received_at))
                        db.flush()
                        db.expunge_all()  # the next turn reads her row afresh, never a stale copy
        except Exception:
            if not ids:  # the claim itself failed: nothing was taken
                raise
            log.warning("a batch of %d turns failed; each runs alone", len(ids))
            return len(ids), self._each_alone(ids)
        for handled, channel in turns:
            self._logged(handled, channel)
        return len(ids), len(turns)

    def _process_by_chat(self, limit: int, older_than: timedelta | None) -> int:
        values = self._due_values(older_than)
        done, progress = 0, True
        while progress and done < limit:  # the heads taken, the messages behind them are next
            with self.engine.connect() as connection:
                window = [(row[0], row[1]) for row in connection.execute(OLDEST, values)]
            progress = False
            chosen = heads(window)[: limit - done]
            # Few chats waiting: half of them a batch, so that another processor takes the rest.
            size = min(HEADS_TOGETHER, max(1, (len(chosen) + 1) // 2))
            for start in range(0, len(chosen), size):
                claimed, ran = self._heads_together(chosen[start : start + size], values)
                progress = progress or claimed
                done += ran
        return done

    def _heads_together(
        self, batch: Sequence[tuple[int, int | None]], due: dict[str, Any]
    ) -> tuple[bool, int]:
        """PostgreSQL: the turns of several chats' heads in one transaction (`CLAIM_HEADS`:
        one claim, one commit for them all), each as `process_head` runs it; should any turn
        fail, all are rolled back and each runs alone (`process_head`, which counts its
        failures). Whether any was claimed, and how many turns ran."""
        if len(batch) < 2 or any(key is None for _, key in batch):
            return self._heads_alone(batch, due)
        turns: list[tuple[Handled, str]] = []
        try:
            with unit_of_work(self.engine) as db:
                connection = db.connection()
                ids = [receipt_id for receipt_id, _ in batch]
                claimed = connection.execute(CLAIM_HEADS, {**due, "ids": ids}).all()
                for receipt_id, payload, received_at in sorted(claimed):
                    if payload is not None:
                        turns.append(self._run(db, receipt_id, payload, received_at))
                        db.flush()
                        db.expunge_all()  # the next turn reads her rows afresh
        except Exception:
            log.warning("a batch of %d turns failed; each runs alone", len(batch))
            return self._heads_alone(batch, due)
        for handled, channel in turns:
            self._logged(handled, channel)
        return bool(claimed), len(turns)

    def _heads_alone(
        self, batch: Sequence[tuple[int, int | None]], due: dict[str, Any]
    ) -> tuple[bool, int]:
        """Each head's turn in its own transaction; a failure is logged (and counted by
        `process_head`), the others still run."""
        claimed, done = False, 0
        for receipt_id, key in batch:
            try:
                handled = self.process_head(receipt_id, key, due)
            except Exception:  # parked or retried later (`_give_up`): on with the others
                log.exception("inbound receipt %s failed", receipt_id)
                continue
            if handled is not None:
                claimed = True
                done += not handled.duplicate
        return claimed, done

    def process_head(self, receipt_id: int, key: int | None, due: dict[str, Any]) -> Handled | None:
        """PostgreSQL: run this message's turn if it is still the oldest due one of its chat
        and nobody holds it (`CLAIM_HEAD`); None when it is not for us now."""
        return self._retrying(receipt_id, lambda: self._process_head_once(receipt_id, key, due))

    def _process_head_once(
        self, receipt_id: int, key: int | None, due: dict[str, Any]
    ) -> Handled | None:
        with unit_of_work(self.engine) as db:
            claimed = (
                db.connection()
                .execute(
                    CLAIM_HEAD[key is not None],
                    {**due, "receipt_id": receipt_id, "chat": key},
                )
                .first()
            )
            if claimed is None:
                return None
            if claimed[0] is None:
                return Handled(duplicate=True)
            handled, channel = self._run(db, receipt_id, claimed[0], claimed[1])
        self._logged(handled, channel)
        return handled

    def _due_values(self, older_than: timedelta | None, limit: int = 1) -> dict[str, Any]:
        """The parameters of `PENDING_DUE`, `OLDEST` and `CLAIM_HEAD`: when each try count is
        due again, and the cutoff of `older_than`."""
        now = self.clock()
        values: dict[str, Any] = {
            f"due{n}": now - retry_delay(n) for n in range(1, MAX_TURN_ATTEMPTS)
        }
        values["cutoff"] = now - (older_than or timedelta(0))
        values["limit"] = limit
        return values

    def _give_up(self, receipt_id: int) -> None:
        """A message that keeps failing is parked after MAX_TURN_ATTEMPTS, never retried forever."""
        with unit_of_work(self.engine) as db:
            receipt = db.get(InboundReceipt, receipt_id)
            if receipt is None or receipt.status != "pending":
                return
            receipt.attempts += 1
            receipt.failed_at = self.clock()
            if receipt.attempts >= MAX_TURN_ATTEMPTS:
                receipt.status, receipt.payload = "failed", None
                log.error(
                    "inbound receipt %s failed %d times: dropped", receipt_id, MAX_TURN_ATTEMPTS
                )

    def _process_once(self, receipt_id: int) -> Handled:
        with unit_of_work(self.engine) as db:
            connection = db.connection()  # Core, prepared once: no ORM work on the hot path
            claimed = connection.execute(CLAIM, {"receipt_id": receipt_id}).first()
            if claimed is None or claimed[0] is None:
                return Handled(duplicate=True)
            handled, channel = self._run(db, receipt_id, claimed[0], claimed[1])
        self._logged(handled, channel)
        return handled

    def _run(self, db: DB, receipt_id: int, payload: str, now: datetime) -> tuple[Handled, str]:
        """The turn of a claimed message, in the claim's transaction (`now` is when it came)."""
        connection = db.connection()
        envelope = decode_envelope(self.contacts.vault.decrypt(payload))
        channel = envelope.inbound.channel.value
        found = self.contacts.for_turn(connection, channel, envelope.address, now, receipt_id)
        handled = Handled(pseudonym=found.pseudonym)
        me = None
        if found.defensora:
            contact = self._orm_contact(db, found, now)
            with db.no_autoflush:  # her row is written once, at the end, not also here
                me = roster.member_for_contact(db, contact)
        if me is not None:  # a registered defensora's chat is never the public flow
            inbound = envelope.inbound
            quoted = envelope.quoted or defensora.quoted_case(db, me, envelope.replied_to)
            answers = defensora.handle(
                db, me, inbound.text, inbound.payload, quoted, now, self.cases
            )
            rows = [queue_message(db, contact, reply, now=now) for reply in answers]
            db.flush()
            handled.outbox_ids = [row.id for row in rows if row.id is not None]
        else:
            hint = envelope.language_hint
            handled.outbox_ids = self._turn(db, found, envelope.inbound, now, hint)
        return handled, channel

    @staticmethod
    def _logged(handled: Handled, channel: str) -> None:
        replies = len(handled.outbox_ids)
        log.info("turn contact=%s channel=%s replies=%d", handled.pseudonym, channel, replies)

    def _orm_contact(self, db: DB, found: Found, now: datetime) -> Contact:
        """Her row as an ORM object, for the rarer turns that change more than her session
        (cases, subscriptions, erasure, a defensora's commands); written back at commit."""
        contact = db.get_one(Contact, found.id)
        contact.last_inbound_at = now
        contact.unreachable = False  # she wrote: whatever blocked us before is gone
        return contact

    def _turn(
        self,
        db: DB,
        found: Found,
        inbound: Inbound,
        now: datetime,
        language_hint: str | None = None,
    ) -> list[int]:
        """The public flow's turn; returns the ids of the outbox rows it wrote."""
        previous_inbound = found.last_inbound_at
        stored = json.loads(found.session or "{}")
        session = Session.from_dict(stored)
        hinted = self.content.languages.hinted(language_hint)
        if not stored and hinted is not None:  # a new conversation: her app's language first;
            session = session.evolve(language=hinted)  # what she writes still decides
        session = session.evolve(relay_case=found.relay_case)
        with db.no_autoflush:  # reads that need nothing pending: her row is written once
            # Seasons a coordinator added in the panel count as much as the content file's.
            content = self.seasons.content(db, self.content)
        turn = self.core(session, inbound, content, now)
        usage = usage_row(found.channel, session, turn.session, previous_inbound, now)
        saved = turn.session.evolve(relay_case=None)
        if not turn.effects:  # the common turn: Core statements, no ORM object
            # Only her own messages count; one who never wrote before has this one alone.
            recent = 1 if previous_inbound is None else None
            throttled = self.content.texts["throttled"]
            # The loop guard compares what is queued: the replies as composed into messages.
            composed = compose(turn.replies, found.channel)
            messages = unflooded(db, found, composed, now, throttled, recent)
            state, language = json.dumps(saved.to_dict()), turn.session.language
            return write_turn(
                db.connection(), found, usage, messages, state=state, language=language, now=now
            )
        record_turn(db, usage)
        contact = self._orm_contact(db, found, now)
        told = escalation.apply_effects(db, contact, turn.effects, now, self.cases)
        with db.no_autoflush:
            replies = unflooded(db, contact, turn.replies, now, self.content.texts["throttled"])
        # Who was told of her case comes right after her first answer, before any question.
        replies = replies[:1] + told + replies[1:]  # a case's texts keep the bubbles they have
        rows = [queue_message(db, contact, reply, now=now) for reply in replies]
        forget = any(isinstance(effect, Forget) for effect in turn.effects)
        for effect in turn.effects:
            person.apply_effect(db, contact, effect, now)
        if forget:
            person.forget(db, contact, now, rows, self.cases)
        else:
            contact.session = json.dumps(saved.to_dict())
            if contact.language != turn.session.language:
                contact.language = turn.session.language
        db.flush()
        return [row.id for row in rows if row.id is not None]
