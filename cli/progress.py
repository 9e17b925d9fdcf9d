"""The progress bar ``bgremove run`` shows on long runs: done / failed / rate."""

from __future__ import annotations

import sys

from tqdm import tqdm


class ProgressBar:
    """Draws the engine's ``Progress`` on stderr, only when stderr is a terminal."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: tqdm | None = None

    def update(self, progress) -> None:
        if not self.enabled or progress.total is None:
            return
        if self._bar is None:
            self._bar = tqdm(
                total=progress.total, unit="img", dynamic_ncols=True, file=sys.stderr, leave=False
            )
        self._bar.n = progress.done
        self._bar.set_postfix(failed=progress.failed, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
