"""What every ``bgremove`` command's exit status means (one home for the numbers)."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of ``bgremove`` and of ``python -m cli.main``.

    Attributes
    ----------
    OK
        Every item succeeded or was skipped (or the command did what it was asked).
    ITEMS_FAILED
        An item failed (the report says which and why), or the run stopped before
        its report.
    REFUSED
        Nothing could start and nothing was written (a bad request, an unusable
        model, an AWS set-up problem); argparse's usage errors exit 2 as well.
    OUTPUT_CLOSED
        Whoever read stdout stopped reading (``bgremove … | head``): the command stops
        quietly with the status a shell gives a tool that SIGPIPE ends (128 + 13).
    """

    OK = 0
    ITEMS_FAILED = 1
    REFUSED = 2
    OUTPUT_CLOSED = 128 + signal.SIGPIPE

    @classmethod
    def for_counts(cls, counts: Mapping[str, object]) -> ExitCode:
        """``ITEMS_FAILED`` if ``counts`` (a run's item counts) has a failed item, else ``OK``."""
        return cls.ITEMS_FAILED if counts.get("failed") else cls.OK
