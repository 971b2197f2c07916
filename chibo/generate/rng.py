"""Deterministic randomness keyed by names: the same key always gives the same numbers."""
from __future__ import annotations

import hashlib
import random

import polars as pl
import pyarrow.compute as pc


def seed_of(*key: object) -> int:
    h = hashlib.blake2b(repr(key).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(h, "little") >> 1


def uniform(n: int, *key: object) -> pl.Series:
    """n floats in [0, 1), vectorised (Arrow's generator seeded from the key)."""
    if n == 0:
        return pl.Series("u", [], dtype=pl.Float64)
    return pl.Series("u", pl.from_arrow(pc.random(n, initializer=seed_of(*key))))


def pyrandom(*key: object) -> random.Random:
    return random.Random(seed_of(*key))
