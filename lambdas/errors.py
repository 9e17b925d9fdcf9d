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
    """A transient failure; the same request may succeed later."""


class ModelThrottledError(RetryableError):
    """The model's request quota is exhausted for now (Bedrock ThrottlingException)."""


class ModelUnavailableError(RetryableError):
    """The model service had a transient fault (5xx, not ready, timeout)."""


class StorageUnavailableError(RetryableError):
    """S3 had a transient fault (slow down, 5xx)."""


#: Names the definition retries with the model-throttling policy.
THROTTLING_ERRORS = ("ModelThrottledError",)
#: Names the definition retries with the transient-fault policy.
TRANSIENT_ERRORS = ("ModelUnavailableError", "StorageUnavailableError")


def error_names() -> set[str]:
    """Return the class name of every error defined in this module."""
    return {
        name
        for name, value in globals().items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
