"""A stop signal stops the run even where its KeyboardInterrupt is swallowed, and never cuts the cleanup."""

from __future__ import annotations

import contextlib
import signal

import pytest

from cnic_ocr.local.runner import StopSignals


def swallowing(sig: signal.Signals) -> None:
    """What numpy.random's first import does around the signal: Cython's bare ``except: pass``."""
    with contextlib.suppress(BaseException):
        signal.raise_signal(sig)  # the handler runs before raise_signal returns


def test_a_swallowed_interrupt_is_raised_again_at_the_next_check() -> None:
    signals = StopSignals()
    with signals.installed(), signals.armed():
        swallowing(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt, match="SIGINT"):
            signals.check()


def test_the_first_signal_raises_where_the_work_is_and_later_ones_are_only_recorded() -> None:
    signals = StopSignals()
    with signals.installed():
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"), signals.armed():
            signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)  # during the cleanup: no exception there
    assert signals.received == "SIGINT"


def test_outside_the_armed_work_a_signal_is_recorded_and_raised_by_the_check() -> None:
    signals = StopSignals()
    with signals.installed():
        signal.raise_signal(signal.SIGHUP)
        with pytest.raises(KeyboardInterrupt, match="SIGHUP"):
            signals.check()


def test_a_signal_during_a_deferred_block_is_raised_at_its_end() -> None:
    signals = StopSignals()
    finished = False
    with (
        signals.installed(),
        signals.armed(),
        pytest.raises(KeyboardInterrupt, match="SIGINT"),
        signals.deferred(),
    ):
        signal.raise_signal(signal.SIGINT)
        finished = True
    assert finished


def test_after_the_normal_end_a_signal_does_not_interrupt() -> None:
    signals = StopSignals()
    with signals.installed(), signals.armed():
        assert signals.end_normally() is None
        signal.raise_signal(signal.SIGINT)
        signals.check()
    assert signals.received == "SIGINT"


def test_the_previous_handlers_are_back_afterwards() -> None:
    before = signal.getsignal(signal.SIGINT)
    with StopSignals().installed():
        assert signal.getsignal(signal.SIGINT) != before
    assert signal.getsignal(signal.SIGINT) == before


def test_an_interrupt_turned_into_another_exception_is_still_an_interrupt() -> None:
    signals = StopSignals()
    with signals.installed(), pytest.raises(KeyboardInterrupt, match="SIGINT") as raised, signals.armed():
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt as interrupt:  # what an extension module's failed import does
            raise ImportError("initialization failed") from interrupt
    assert isinstance(raised.value.__context__, ImportError)
