"""Prometheus metrics: what an operator watches. Labels never carry numbers or text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INBOUND = Counter("defensoras_inbound_total", "Inbound messages accepted", ["channel", "outcome"])
OUTBOUND = Counter(
    "defensoras_outbound_total", "Outbox rows finished, by status", ["channel", "status"]
)
SEND_FAILURES = Counter(
    "defensoras_send_failures_total", "Messages not delivered, by reason", ["channel", "reason"]
)
TURN_SECONDS = Histogram(
    "defensoras_turn_seconds",
    "Time to process one inbound message (one transaction)",
    ["channel"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
QUEUE_DEPTH = Gauge(
    "defensoras_outbox_queue_depth",
    "Outbox rows waiting, by channel and status",
    ["channel", "status"],
)
OPEN_CASES = Gauge("defensoras_open_cases", "Escalation cases not closed, by status", ["status"])
TIME_TO_TAKE = Histogram(
    "defensoras_escalation_time_to_take_seconds",
    "Seconds from a case opening to a defensora taking it",
    buckets=(10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200),
)
