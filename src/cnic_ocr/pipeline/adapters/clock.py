"""The real clock (the Clock port)."""

from __future__ import annotations

import time


class SystemClock:
    def now_epoch(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
