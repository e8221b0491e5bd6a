"""Episodes and reminders of *Defensoras al Parlante*: pure functions over the episodes content.

The content lives in ``content/episodes.yaml``.

Nothing here reads a clock, a file or the network: the caller parses the YAML, passes the resulting
mapping to :class:`EpisodeSchedule` and hands ``now`` in as a timezone-aware datetime. All calendar
reasoning happens in the schedule's time zone (``America/Lima``), whatever zone ``now`` is in.

Decisions (also documented in ``content/episodes.yaml``):

* **Unknown time.** An episode with ``time_known: false`` gets ``starts_at`` = its date at 00:00
  local. It counts as *upcoming* for the whole of its local day (we cannot know that it already
  started), and answers give the day and say the time will be announced.
* **Known time.** An episode is upcoming while ``now < starts_at``.
* **Reminder offsets.** ``evening_before`` fires the day before at a fixed local time, so it works
  for unknown-time episodes too. ``before_start`` fires ``minutes`` before the start and is
  *skipped* when the time is unknown (there is nothing to subtract from). A reminder whose
  ``send_at`` is not strictly before a known start is skipped too.
* **Due reminders** are those with ``since < send_at <= now`` for episodes still upcoming at
  ``now``. After an outage a caller passing an old ``since`` gets every missed reminder of episodes
  that have not started; deciding whether a late one is still worth sending (misfire grace) is the
  caller's job, using ``DueReminder.send_at``. The reminder *text* is rendered relative to ``now``
  (a late evening-before reminder delivered on the day says "hoy", not "mañana"); the *key* never
  depends on ``now`` or ``since``: ``reminder:<season_id>:<number>:<offset_id>``.
* **District.** Venues are matched on accent/case-folded district names; the caller resolves
  aliases (SJL, Cercado, ...) to the official name first. Venues in the person's district come
  first; the next episode is still the soonest one, and the answer adds a note when a later
  episode plays in the person's district.
"""

from flows.episodes.checks import REMINDER_FORBIDDEN_WORDS, TEXT_PLACEHOLDERS
from flows.episodes.checks import _is_discreet as first_indiscreet_word
from flows.episodes.listing import format_episode_list
from flows.episodes.merge import with_seasons
from flows.episodes.reminders import DueReminder, due_reminders, reminder_key
from flows.episodes.schema import (
    Calendar,
    Episode,
    EpisodeSchedule,
    OnlineLink,
    ReminderOffset,
    Season,
    Venue,
)
from flows.episodes.slots import (
    EpisodeSlot,
    next_episode,
    next_episode_in_district,
    upcoming_episodes,
)
from flows.episodes.wording import (
    next_episode_answer,
    subscription_confirmation,
    unsubscription_confirmation,
)

__all__ = [
    "REMINDER_FORBIDDEN_WORDS",
    "TEXT_PLACEHOLDERS",
    "Calendar",
    "DueReminder",
    "Episode",
    "EpisodeSchedule",
    "EpisodeSlot",
    "OnlineLink",
    "ReminderOffset",
    "Season",
    "Venue",
    "due_reminders",
    "first_indiscreet_word",
    "format_episode_list",
    "next_episode",
    "next_episode_answer",
    "next_episode_in_district",
    "reminder_key",
    "subscription_confirmation",
    "unsubscription_confirmation",
    "upcoming_episodes",
    "with_seasons",
]
