"""Every error bgremove raises on purpose.

Step Functions matches a Lambda's error by its exception class name, so the class
names here are the names the state machine's ``Retry`` and ``Catch`` use. A test
checks that every name in the definition exists here.

Errors are grouped by what the workflow does with them:

* ``RetryableError`` subclasses are retried by the state machine with backoff.
* Everything else ends the item (or, for ``PlanError`` subclasses, the run) with a
  message a person can act on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import ClassVar, NamedTuple


class BgRemoveError(Exception):
    """Base class: ``str(error)`` is the plain-language reason shown in the report."""


# --- Run-level: raised by Plan before any work, the run stops (CLI exit 2) -------------


class PlanError(BgRemoveError):
    """The run cannot start."""


class ManifestError(PlanError):
    """A manifest does not parse, names no items, or names a source it may not read.

    The message names the line (CSV) or index (JSON) that is wrong.
    """


class SourceNotFoundError(PlanError):
    """The requested input (key, prefix, folder or file) does not exist."""


class ModelUnusableError(PlanError):
    """The chosen model cannot be used: unknown, end-of-life, or not enabled."""

    @classmethod
    def unknown(cls, name: str, choices: Iterable[str]) -> ModelUnusableError:
        """The error for a model name that is not in the registry.

        Parameters
        ----------
        name
            The name asked for.
        choices
            The names that would have been accepted (listed sorted in the message).
        """
        return cls(f"unknown model {name!r}: choose one of {', '.join(sorted(choices))}")


class ConfigError(PlanError):
    """An option has a value bgremove cannot use."""


# --- Item-level, permanent: the item fails, the batch goes on ---------------------------


class ItemError(BgRemoveError):
    """One item cannot be processed; retrying will not help."""


class EmptyFileError(ItemError):
    """The file has zero bytes."""


class UnsupportedFormatError(ItemError):
    """The bytes are not an image format bgremove reads (e.g. a PDF or a text file)."""


class CorruptImageError(ItemError):
    """The file claims to be an image but is truncated or damaged."""


class ImageTooLargeError(ItemError):
    """The file has more bytes or pixels than the configured caps allow."""


class ImageTooSmallError(ItemError):
    """The image is smaller than the model accepts."""


class InputMissingError(ItemError):
    """An object the item needs is not in the bucket (deleted after planning?)."""


class SourceUnreadableError(ItemError):
    """The source exists but cannot be read (no permission, an I/O error)."""


class BrokenLinkError(ItemError):
    """The source is a symbolic link to a file that does not exist."""


class FolderUnreadableError(ItemError):
    """Recorded, not raised: a folder below the run's folder cannot be listed."""


class ModelRefusedError(ItemError):
    """The model refused this image (validation error or content filter)."""


class ModelAccessError(ItemError):
    """The account may not call the model (access not enabled, or no permission)."""


class ModelResponseError(ItemError):
    """The model answered with something that is not a usable mask."""


class EmptyMaskError(ItemError):
    """The model found no foreground at all in the image."""


class DuplicateSourceError(ItemError):
    """Recorded, not raised: the source is already in the run, so this entry is skipped."""


class AlreadyDoneError(ItemError):
    """Recorded, not raised: the cutout is newer than its source (nightly runs skip it)."""


class NoResultRecordedError(ItemError):
    """Reported, not raised: the item's workflow ended without writing its record."""


class NotProcessedError(ItemError):
    """Reported, not raised: the run was interrupted before the item finished."""


# --- Retryable: the state machine retries these with backoff ----------------------------


class RetryableError(BgRemoveError):
    """A transient failure; the same request may succeed later.

    ``retry_policy`` names the definition's retry policy for the class: ``"transient"``
    (a short backoff) or ``"throttling"`` (the model-throttling backoff).
    """

    retry_policy: ClassVar[str] = "transient"


class ModelThrottledError(RetryableError):
    """The model's request quota is exhausted for now (Bedrock ThrottlingException)."""

    retry_policy: ClassVar[str] = "throttling"


class ModelUnavailableError(RetryableError):
    """The model service had a transient fault (5xx, not ready, timeout)."""


class StorageUnavailableError(RetryableError):
    """S3 had a transient fault (slow down, 5xx)."""


def _error_classes() -> list[type[BgRemoveError]]:
    return [
        value
        for value in globals().values()
        if isinstance(value, type) and issubclass(value, BgRemoveError)
    ]


def error_names() -> set[str]:
    """Return the class name of every error defined in this module."""
    return {error.__name__ for error in _error_classes()}


def _retried_with(policy: str) -> tuple[str, ...]:
    return tuple(
        error.__name__
        for error in _error_classes()
        if issubclass(error, RetryableError)
        and error is not RetryableError
        and error.retry_policy == policy
    )


#: Names the definition retries with the model-throttling policy.
THROTTLING_ERRORS = _retried_with("throttling")
#: Names the definition retries with the transient-fault policy.
TRANSIENT_ERRORS = _retried_with("transient")
#: Names of the errors that stop a run before any work (the CLI's exit 2).
PLAN_ERRORS = frozenset(
    error.__name__ for error in _error_classes() if issubclass(error, PlanError)
)


# --- Reading a failure back: what Step Functions puts in ``Cause`` ----------------------


class Cause(NamedTuple):
    """A failure's error type and plain-language message, read from ``Error`` and ``Cause``."""

    error_type: str
    message: str


_JSON_STRING = r'"((?:[^"\\]|\\.)*)("?)'


def parse_cause(cause: str | None, error: str | None = None) -> Cause:
    """Read a failure's ``Cause`` (and its ``Error`` name) into a type and a message.

    A Lambda's ``Cause`` is JSON, ``{"errorMessage", "errorType", "stackTrace", …}``;
    Step Functions' own errors carry plain text, and a long Lambda cause may arrive cut
    off mid-JSON (its ``errorMessage`` is then kept as far as it goes, ending in "…").

    Parameters
    ----------
    cause
        The ``Cause`` text: JSON, plain text, truncated JSON, empty or ``None``.
    error
        The ``Error`` name beside it, used when the cause names no ``errorType``.

    Returns
    -------
    Cause
        ``error_type`` (``errorType``, else ``error``, else ``"UnknownError"``) and
        ``message`` (``errorMessage``, else the plain text; ``""`` when there is none).
    """
    text = (cause or "").lstrip()
    name = error or "UnknownError"
    if not text.startswith("{"):
        return Cause(name, text.rstrip())
    try:
        parsed = json.loads(text)
    except ValueError:
        return _truncated_cause(text, name)
    if not isinstance(parsed, dict):
        return Cause(name, text)
    return Cause(str(parsed.get("errorType") or name), str(parsed.get("errorMessage") or ""))


def _truncated_cause(text: str, name: str) -> Cause:
    """The fields a cut-off Lambda cause still holds (the raw text if it holds none)."""
    error_type = re.search(rf'"errorType"\s*:\s*{_JSON_STRING}', text)
    message = re.search(rf'"errorMessage"\s*:\s*{_JSON_STRING}', text)
    if error_type is None and message is None:
        return Cause(name, text)
    if error_type is not None and error_type.group(2):  # a cut-off name names nothing
        name = _decode_json_string(error_type.group(1)) or name
    if message is None:
        return Cause(name, "")
    body = _decode_json_string(message.group(1))
    return Cause(name, body if message.group(2) else f"{body}…")


def _decode_json_string(body: str) -> str:
    """A JSON string's content, even when cut inside an escape sequence."""
    for end in range(len(body), max(len(body) - 6, -1), -1):
        try:
            return json.loads(f'"{body[:end]}"')
        except ValueError:
            continue
    return body
