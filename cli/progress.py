"""What ``bgremove run`` shows while it works: a bar with images per second and time left."""

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
                total=progress.total,
                unit="img",
                dynamic_ncols=True,
                file=sys.stderr,
                leave=False,
                smoothing=0.1,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, "
                "{rate_fmt}{postfix}]",
            )
        # update() (not setting n) feeds tqdm's rate, so the bar shows img/s and time left.
        self._bar.set_postfix(failed=progress.failed, refresh=False)
        self._bar.update(progress.done - self._bar.n)

    def message(self, text: str) -> None:
        """Print a line above the bar (or alone) at once."""
        if self._bar is not None:
            self._bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
