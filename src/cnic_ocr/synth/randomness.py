"""Seeded random streams: every sample is a pure function of (seed, stream, condition)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np


def stream(seed: int, *keys: str) -> np.random.Generator:
    """An independent generator for one purpose of one seed.

    Keys are hashed with CRC-32 (stable across processes, unlike ``hash``), so the identity
    drawn for a seed does not change when the card's look or the degradation change.
    """
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def pick[T](rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def pick_weighted[T](rng: np.random.Generator, items: Sequence[tuple[T, float]]) -> T:
    weights = np.array([w for _, w in items], dtype=np.float64)
    index = int(rng.choice(len(items), p=weights / weights.sum()))
    return items[index][0]


def chance(rng: np.random.Generator, probability: float) -> bool:
    return bool(rng.random() < probability)


def uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))
