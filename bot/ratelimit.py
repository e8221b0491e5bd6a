"""A leaky-bucket rate limiter on an injected :class:`~bot.clock.Sleeper` (tests run it on
virtual time: no test waits for, or measures, the wall clock)."""

from __future__ import annotations

import asyncio

from bot.clock import Sleeper


class RateLimiter:
    """At most `max_rate` acquisitions per `time_period` seconds, in bursts up to `max_rate`."""

    __slots__ = (
        "_last",
        "_leak_per_second",
        "_level",
        "_queue",
        "_sleeper",
        "max_rate",
        "time_period",
    )
    """One per chat the dispatcher tracks (thousands after a burst): slots, and a queue only
    once someone waits."""

    def __init__(self, max_rate: float, time_period: float, sleeper: Sleeper) -> None:
        self.max_rate = max_rate
        self.time_period = time_period
        self._leak_per_second = max_rate / time_period
        self._sleeper = sleeper
        self._level = 0.0
        self._last = sleeper.monotonic()
        self._queue: asyncio.Lock | None = None
        """Waiters take turns (FIFO): one sleeps on the bucket, not all of them at once."""

    def _leak(self) -> None:
        now = self._sleeper.monotonic()
        elapsed = max(0.0, now - self._last)
        self._level = max(0.0, self._level - elapsed * self._leak_per_second)
        self._last = now

    def has_capacity(self, amount: float = 1) -> bool:
        self._leak()
        # A hair of slack: float leaks leave the level at 4.000000000000002 of 5, and the sleep
        # that would cover the difference is too small to move the clock (a spin).
        return self._level + amount <= self.max_rate + 1e-9

    async def acquire(self, amount: float = 1) -> None:
        queue = self._queue
        if (queue is None or not queue.locked()) and self.has_capacity(amount):
            self._level += amount  # the common case: no wait, no lock
            return
        # Hundreds of waiters each sleeping and re-checking woke together for every free slot
        # (a broadcast spent its CPU there); in a queue only the head sleeps on the bucket.
        if self._queue is None:
            self._queue = asyncio.Lock()
        async with self._queue:
            while not self.has_capacity(amount):
                await self._sleeper.sleep(
                    (self._level + amount - self.max_rate) / self._leak_per_second
                )
            self._level += amount

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *_: object) -> None:
        return None


def rate_limiter(rate_per_second: float, sleeper: Sleeper) -> RateLimiter:
    """`rate` sends a second (bursts up to one second's worth); below 1/s, one per period."""
    if rate_per_second >= 1:
        return RateLimiter(rate_per_second, 1.0, sleeper)
    return RateLimiter(1, 1.0 / rate_per_second, sleeper)
