"""The one rule for "is this file an input": what Plan, the local engine and ``estimate`` skip."""

from __future__ import annotations

import posixpath

#: Files that operating systems leave in photo folders; never items.
JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


def is_candidate(key: str) -> bool:
    """Whether ``key`` (a bucket key or a path relative to the run's folder) may be an item.

    Folder markers, hidden files (a leading dot) and the files operating systems
    leave behind are not; every other file is, and Validate decides whether it
    is an image bgremove reads.
    """
    name = posixpath.basename(key)
    return bool(name) and not name.startswith(".") and name.lower() not in JUNK_NAMES
