"""The error vocabulary: reading a failure's ``Cause`` back, and the messages errors build."""

from __future__ import annotations

import json

import pytest

from lambdas import errors
from lambdas.errors import Cause, ModelUnusableError, parse_cause
from lambdas.models.catalog import CATALOG

LAMBDA_CAUSE = json.dumps(
    {
        "errorMessage": "photo.jpg is a PDF, not an image",
        "errorType": "UnsupportedFormatError",
        "requestId": "5e1c0d3a-0000-4000-8000-000000000000",
        "stackTrace": ['  File "/var/task/lambdas/item_steps.py", line 40, in validate\n'],
    }
)


@pytest.mark.parametrize(
    ("cause", "error", "expected"),
    [
        # A Lambda's error: the type and message inside the JSON win over the Error name.
        (
            LAMBDA_CAUSE,
            "States.TaskFailed",
            ("UnsupportedFormatError", "photo.jpg is a PDF, not an image"),
        ),
        # Step Functions' own errors carry plain text.
        (
            "Task timed out after 180.00 seconds",
            "States.Timeout",
            ("States.Timeout", "Task timed out after 180.00 seconds"),
        ),
        # Empty or missing cause: the Error name alone.
        ("", "States.Timeout", ("States.Timeout", "")),
        (None, None, ("UnknownError", "")),
        ("   ", "Lambda.Unknown", ("Lambda.Unknown", "")),
        # JSON that is not a Lambda's error object is plain text.
        ('["a", "list"]', "States.Runtime", ("States.Runtime", '["a", "list"]')),
        ('{"foo": 1}', "States.Runtime", ("States.Runtime", "")),
        # A Lambda cause with an empty message keeps its type.
        ('{"errorType": "EmptyMaskError", "errorMessage": ""}', None, ("EmptyMaskError", "")),
    ],
)
def test_parse_cause(cause, error, expected):
    assert parse_cause(cause, error) == Cause(*expected)


def test_a_truncated_lambda_cause_keeps_what_it_has():
    cut = LAMBDA_CAUSE[: LAMBDA_CAUSE.index("not an image")]
    assert parse_cause(cut, "States.TaskFailed") == (
        "States.TaskFailed",  # errorType comes after errorMessage here: cut off, not read
        "photo.jpg is a PDF, …",
    )
    cut = LAMBDA_CAUSE[: LAMBDA_CAUSE.index('"stackTrace"') + 20]
    assert parse_cause(cut) == ("UnsupportedFormatError", "photo.jpg is a PDF, not an image")


def test_a_cause_cut_inside_an_escape_sequence():
    cause = json.dumps({"errorType": "CorruptImageError", "errorMessage": 'caf\u00e9 "x" 1'})
    cut = cause[: cause.index("\\u00e9") + 4]  # inside \u00e9
    assert parse_cause(cut) == ("CorruptImageError", "caf…")
    cut = cause[: cause.index('\\"x') + 1]  # a lone backslash
    assert parse_cause(cut) == ("CorruptImageError", "café …")


def test_truncated_text_that_names_no_field_is_kept_as_text():
    assert parse_cause('{"message": "Internal server err', "Lambda.Unknown") == (
        "Lambda.Unknown",
        '{"message": "Internal server err',
    )


def test_unknown_model_names_the_value_and_every_choice():
    error = ModelUnusableError.unknown("dalle", ["stability", "local", "birefnet"])
    assert isinstance(error, ModelUnusableError)
    assert str(error) == "unknown model 'dalle': choose one of birefnet, local, stability"


def test_every_unknown_model_site_says_the_same():
    from lambdas.models import get_model
    from lambdas.models.preflight import preflight

    expected = str(ModelUnusableError.unknown("dalle", CATALOG))
    with pytest.raises(ModelUnusableError) as from_registry:
        get_model("dalle")
    with pytest.raises(ModelUnusableError) as from_preflight:
        preflight("dalle", region="us-east-1", bedrock_client=None)
    assert str(from_registry.value) == str(from_preflight.value) == expected


def test_plan_errors_are_the_plan_error_classes():
    assert {"ManifestError", "SourceNotFoundError", "ModelUnusableError", "ConfigError"} <= (
        errors.PLAN_ERRORS
    )
    assert "PlanError" in errors.PLAN_ERRORS
    assert "EmptyFileError" not in errors.PLAN_ERRORS


def test_retry_lists_come_from_the_classes():
    assert (errors.ModelThrottledError.__name__,) == errors.THROTTLING_ERRORS
    assert set(errors.TRANSIENT_ERRORS) == {
        errors.ModelUnavailableError.__name__,
        errors.StorageUnavailableError.__name__,
    }
