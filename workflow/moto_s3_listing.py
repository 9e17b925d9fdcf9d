"""moto's ListObjectsV2 in time that grows with the page, not the bucket (workaround 14).

moto answers every page by walking, filtering and sorting every key in the bucket,
so listing a bucket of N keys 1,000 at a time costs N²/1,000: 200,000 keys took
minutes where Plan on AWS takes seconds. Here each bucket's key store keeps its
names sorted (built on the first listing, then kept up to date by the store's own
writes: put, copy, multipart completion, delete, delete marker), and a page is a
bisect to its first key and a walk over the keys it returns; a common prefix
(``Delimiter``) is skipped over by a bisect too. Each key's current version is
read from moto's store as it is walked, so delete markers and versions are moto's.
The page, its truncation and its continuation token are what moto's own code
gives (``tests/unit/workflow/test_moto_s3_listing.py`` compares them on random
buckets with writes between pages).
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.s3.models import FakeBucket, FakeDeleteMarker, S3Backend
from moto.s3.utils import _VersionedKeyStore
from moto.utilities.utils import md5_hash

#: moto's own method, before ``apply()`` replaces it.
ORIGINAL_LIST_OBJECTS_V2 = S3Backend.list_objects_v2
#: The store's methods that add or remove names, and moto's versions of them.
_STORE_WRITERS = ("__setitem__", "setlist", "pop")
_STORE_ORIGINALS = {name: getattr(_VersionedKeyStore, name) for name in _STORE_WRITERS}
#: dict methods moto never calls on a key store; they drop the index instead.
_DICT_WRITERS = ("__delitem__", "clear", "popitem", "setdefault", "update", "__ior__")
_INDEX = "_bgremove_sorted_names"
#: Lambda handlers write to S3 from several Map workers at once.
_lock = threading.RLock()


def sorted_names(store: _VersionedKeyStore) -> list[str]:
    """The store's names in sorted order, built once and then kept up to date."""
    names = store.__dict__.get(_INDEX)
    if names is None or len(names) != dict.__len__(store):
        names = sorted(dict.keys(store))
        store.__dict__[_INDEX] = names
    return names


def _add_name(store: _VersionedKeyStore, name: str) -> None:
    with _lock:
        names = store.__dict__.get(_INDEX)
        if names is not None:
            index = bisect.bisect_left(names, name)
            if index == len(names) or names[index] != name:
                names.insert(index, name)


def _remove_name(store: _VersionedKeyStore, name: str) -> None:
    with _lock:
        names = store.__dict__.get(_INDEX)
        if names is not None:
            index = bisect.bisect_left(names, name)
            if index < len(names) and names[index] == name:
                del names[index]


def _indexed_writer(name: str) -> Callable[..., Any]:
    original = _STORE_ORIGINALS[name]
    after = _remove_name if name == "pop" else _add_name

    @functools.wraps(original)
    def write(self: _VersionedKeyStore, key: str, *args: Any, **kwargs: Any) -> Any:
        result = original(self, key, *args, **kwargs)
        after(self, key)
        return result

    return write


def _index_dropping(name: str) -> Callable[..., Any]:
    original = getattr(dict, name)

    @functools.wraps(original)
    def write(self: _VersionedKeyStore, *args: Any, **kwargs: Any) -> Any:
        self.__dict__.pop(_INDEX, None)
        return original(self, *args, **kwargs)

    return write


def _end_of_group(names: list[str], start: int, folder: str) -> int:
    """The index of the first name after ``start`` that does not begin with ``folder``."""
    return bisect.bisect_right(names, folder, lo=start, key=lambda name: name[: len(folder)])


def _page(
    bucket: FakeBucket, prefix: str, delimiter: str, after: str | None, size: int
) -> list[Any]:
    """Up to ``size`` entries (keys and common prefixes, sorted) of names above ``after``."""
    with _lock:
        return _walk(bucket.keys, sorted_names(bucket.keys), prefix, delimiter, after, size)


def _walk(
    store: _VersionedKeyStore,
    names: list[str],
    prefix: str,
    delimiter: str,
    after: str | None,
    size: int,
) -> list[Any]:
    """``_page`` over ``names``, the store's sorted names."""
    start = bisect.bisect_left(names, prefix)
    if after is not None:
        start = max(start, bisect.bisect_right(names, after))
    entries: list[Any] = []
    index = start
    while index < len(names) and len(entries) < size:
        name = names[index]
        if not name.startswith(prefix):
            break
        rest = name[len(prefix) :]
        if delimiter and delimiter in rest:
            folder = f"{prefix}{rest.split(delimiter)[0]}{delimiter}"
            if after is None or folder > after:
                entries.append(folder)
            index = _end_of_group(names, index, folder)  # every name in it is skipped
            continue
        key = store.get(name)  # the current version (None: deleted by another thread)
        if key is not None and not isinstance(key, FakeDeleteMarker):
            entries.append(key)
        index += 1
    return entries


def _paged_list_objects_v2(
    self: S3Backend,
    bucket: FakeBucket,
    prefix: str | None,
    delimiter: str | None,
    continuation_token: str | None,
    start_after: str | None,
    max_keys: int,
) -> tuple[Any, bool, str | None]:  # moto annotates a set, returns a list
    """moto's ``list_objects_v2``, answered from the sorted names (see the module's doc)."""
    unusual = (
        type(bucket) is not FakeBucket
        or max_keys < 1
        or (continuation_token and continuation_token not in self._pagination_tokens)
    )
    if unusual:  # moto's own answer (or error), at moto's cost
        return ORIGINAL_LIST_OBJECTS_V2(
            self, bucket, prefix, delimiter, continuation_token, start_after, max_keys
        )
    after = (
        self._pagination_tokens[continuation_token] if continuation_token else start_after or None
    )
    entries = _page(bucket, prefix or "", delimiter or "", after, max_keys + 1)
    if len(entries) <= max_keys:
        return entries, False, None
    entries = entries[:max_keys]
    last = entries[-1] if isinstance(entries[-1], str) else entries[-1].name
    token = md5_hash(last.encode("utf-8")).hexdigest()
    self._pagination_tokens[token] = last
    return entries, True, token


def apply() -> None:
    """Install the sorted index and the paged listing (idempotent)."""
    for name in _STORE_WRITERS:
        setattr(_VersionedKeyStore, name, _indexed_writer(name))
    for name in _DICT_WRITERS:
        setattr(_VersionedKeyStore, name, _index_dropping(name))
    S3Backend.list_objects_v2 = _paged_list_objects_v2
