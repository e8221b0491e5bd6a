"""Run every benchmark report: ``python -m benchmarks`` (figures, not pass/fail)."""

from __future__ import annotations

import importlib
import sys

REPORTS = (
    "risk_report",
    "orientation_report",
    "intent_report",
    "answers_report",
    "pipeline",
    "inbound",
    "turns",
)


def main() -> int:
    for name in REPORTS:
        print(f"\n===== benchmarks.{name} =====", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        result = module.main([]) if "argv" in module.main.__code__.co_varnames else module.main()
        if result not in (None, 0):
            return int(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
