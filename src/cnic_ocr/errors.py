"""Errors every function of the stack treats alike."""

from __future__ import annotations


class ConfigurationError(Exception):
    """A resource the function is configured with is missing or unreachable: fail fast."""
