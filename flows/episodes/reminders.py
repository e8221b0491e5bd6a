"""Reminders due between two instants, with deterministic keys so sending is idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.episodes.schema import EpisodeSchedule, ReminderOffset
from flows.episodes.slots import EpisodeSlot, _require_aware, upcoming_episodes
from flows.episodes.wording import _date_values, _day_phrase, _hhmm


@dataclass(frozen=True, slots=True)
class DueReminder:
    key: str
    season_id: str
    number: int
    offset_id: str
    send_at: datetime
    text: str


def reminder_key(season_id: str, number: int, offset_id: str) -> str:
    return f"reminder:{season_id}:{number}:{offset_id}"


def _send_at(slot: EpisodeSlot, offset: ReminderOffset) -> datetime | None:
    """When ``offset`` fires for ``slot``, or None when it does not apply (see module doc)."""
    if offset.kind == "evening_before":
        assert offset.local_time is not None  # guaranteed by ReminderOffset validation
        eve = slot.starts_at.date() - timedelta(days=1)
        send_at = datetime.combine(eve, offset.local_time, tzinfo=slot.starts_at.tzinfo)
    else:
        if not slot.time_known:
            return None
        assert offset.minutes is not None  # guaranteed by ReminderOffset validation
        send_at = slot.starts_at - timedelta(minutes=offset.minutes)
    if slot.time_known and send_at >= slot.starts_at:
        return None
    return send_at


def _reminder_text(
    schedule: EpisodeSchedule, slot: EpisodeSlot, offset: ReminderOffset, now: datetime
) -> str:
    text_id = offset.text
    if not slot.time_known and offset.text_unknown_time is not None:
        text_id = offset.text_unknown_time
    day = slot.starts_at.date()
    values = _date_values(schedule, day)
    return schedule.text(
        text_id,
        day_phrase=_day_phrase(schedule, day, now),
        time=_hhmm(slot.starts_at) if slot.time_known else "",
        weekday=values["weekday"],
        day=values["day"],
        month=values["month"],
        season=slot.season_name,
        number=slot.number,
    )


def due_reminders(
    schedule: EpisodeSchedule, *, now: datetime, since: datetime
) -> list[DueReminder]:
    """Reminders with ``since < send_at <= now`` for episodes not started at ``now``.

    Keys are deterministic (``reminder:<season>:<number>:<offset_id>``), so the caller can record
    them to make sending idempotent. No misfire grace is applied here: with an old ``since``
    (after an outage) every missed reminder of a still-upcoming episode is returned, and the
    caller decides from ``send_at`` whether it is too late to send.
    """
    _require_aware(now, "now")
    _require_aware(since, "since")
    if since >= now:
        return []
    due: list[tuple[datetime, int, DueReminder]] = []
    for slot in upcoming_episodes(schedule, now):
        for index, offset in enumerate(schedule.reminder_offsets):
            send_at = _send_at(slot, offset)
            if send_at is None or not since < send_at <= now:
                continue
            reminder = DueReminder(
                key=reminder_key(slot.season_id, slot.number, offset.id),
                season_id=slot.season_id,
                number=slot.number,
                offset_id=offset.id,
                send_at=send_at,
                text=_reminder_text(schedule, slot, offset, now),
            )
            due.append((send_at, index, reminder))
    # upcoming_episodes is already in episode order; sort is stable
    due.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in due]
