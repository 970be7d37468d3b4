"""Time as a port: the pipeline and the mobile API read it through :class:`Clock`, tests fake it."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_epoch(self) -> float:
        """Wall-clock seconds since the epoch (timestamps, slot expiries)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (timeouts, budgets)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now_epoch(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
