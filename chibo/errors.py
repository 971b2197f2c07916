"""Errors a user can act on. The CLI prints them as one line, never a traceback."""
from __future__ import annotations


class ChiboError(Exception):
    """A run or command that cannot go on; the message says why in one line."""


class ShrinkGuardError(ChiboError):
    """A run would retract more than the allowed share of a kind's rows."""


class RunLockedError(ChiboError):
    """Another run holds the warehouse lock."""
