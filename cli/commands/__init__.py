"""One module per ``bgremove`` subcommand; each registers its arguments and its handler.

``COMMANDS`` is the order ``bgremove --help`` lists them in.
"""

from __future__ import annotations

from cli.commands import estimate, models, preflight, run, start, status

COMMANDS = (run, preflight, models, start, status, estimate)
