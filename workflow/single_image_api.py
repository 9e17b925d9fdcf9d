"""The single-image endpoint's contract: its answer workflow and API Gateway's mapping templates.

``GET /cutout?input_key=inputs/cat.png`` (the tutorial's request) must answer within
API Gateway's 29 s integration timeout (edge-optimized API), but one image is six
Lambdas and a Bedrock call whose throttling retries alone may wait minutes. So the work
and the answer are two workflows:

* the **image run** (Standard): Plan and the batch's per-item fragment, exactly
  ``workflow.definition.build_single_image_definition``, with the deployed retry
  settings, a Catch on every step and a failure record: it always finishes, however
  long Bedrock makes it wait;
* the **answer** (Express, called with StartSyncExecution): starts the image run,
  named after the API request id, then polls it for at most ``SyncBudget`` (8 polls
  2 s apart) and answers with the cutout's URL (200), the run's own error such as the
  tutorial's missing key (404 / 400), or, when the run is still working, 202 with a
  ``status_url``. ``GET /cutout/status?id=…`` runs the same answer workflow on an
  existing image run (it polls too, so it is a long poll).

Every answer body is JSON made by Step Functions from the run's own output; the mapping
templates here never splice a user's text into JSON except through
``$util.escapeJavaScript`` (with its ``\\'`` undone) or ``$util.urlEncode``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.errors import SourceNotFoundError
from workflow.definition import integration_arn

#: API Gateway's integration timeout for an edge-optimized REST API (seconds).
API_GATEWAY_TIMEOUT_SECONDS = 29
#: Both routes' paths under the stage.
CUTOUT_PATH = "cutout"
STATUS_PATH = "cutout/status"


@dataclass(frozen=True)
class SyncBudget:
    """How long the answer workflow waits for the image run before answering 202.

    Attributes
    ----------
    poll_seconds
        Wait between two DescribeExecution calls.
    max_polls
        Polls after which a running image run is answered with 202.
    timeout_seconds
        The answer workflow's own ``TimeoutSeconds``: a last guard below API Gateway's
        29 s; API Gateway maps that TIMED_OUT to 202 as well.
    """

    poll_seconds: int = 2
    max_polls: int = 8
    timeout_seconds: int = 27

    def __post_init__(self) -> None:
        # Each poll also costs a DescribeExecution round trip; 1 s of slack per poll
        # plus the StartExecution call keeps the waits inside the workflow's timeout.
        worst = self.max_polls * (self.poll_seconds + 1) + 2
        if self.timeout_seconds >= API_GATEWAY_TIMEOUT_SECONDS or worst > self.timeout_seconds:
            raise ValueError(
                f"{self.max_polls} polls every {self.poll_seconds} s may take {worst} s: "
                f"more than the {self.timeout_seconds} s timeout, or that timeout is not "
                f"below API Gateway's {API_GATEWAY_TIMEOUT_SECONDS} s"
            )


def build_answer_definition(
    image_run_machine_arn: str,
    image_run_executions: str,
    budget: SyncBudget | None = None,
    *,
    partition: str = "aws",
) -> dict[str, Any]:
    """The Express answer workflow's ASL.

    Parameters
    ----------
    image_run_machine_arn
        The Standard image-run state machine's ARN.
    image_run_executions
        Its executions' ARN without the name (``arn:…:execution:<machine name>``); given
        apart because in CDK the machine's ARN is a token that cannot be edited.
    budget
        Poll interval, poll count and timeout.
    partition
        The AWS partition of the service integrations
        (``workflow.definition.integration_arn``).

    Input is ``{"input_key": …}`` (start an image run) or ``{"id": …}`` (look one up);
    output is ``{"http_status": …, "status": …, …}`` and never a failure.
    """
    budget = budget or SyncBudget()
    states = {
        **_start_states(image_run_machine_arn, image_run_executions, partition),
        **_polling_states(budget, partition),
        **_success_states(),
        **_failure_states(),
        **_failure_answers(),
    }
    return {
        "Comment": "bgremove: answer the single-image request within API Gateway's timeout.",
        "StartAt": "Start or look up",
        "TimeoutSeconds": budget.timeout_seconds,
        "States": states,
    }


def _start_states(image_run_machine_arn: str, executions: str, partition: str) -> dict[str, Any]:
    """Start an image run, or look one up by its id."""
    return {
        "Start or look up": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.id", "IsPresent": True, "Next": "Look up image run"}],
            "Default": "Start image run",
        },
        "Start image run": {
            "Type": "Task",
            "Comment": "Named after the API request, so a late answer can still name it.",
            "Resource": integration_arn("states:startExecution", partition),
            "Parameters": {
                "StateMachineArn": image_run_machine_arn,
                "Name.$": "$$.Execution.Name",
                "Input": {"input_key.$": "$.input_key"},
            },
            "ResultSelector": {"execution_arn.$": "$.ExecutionArn"},
            "ResultPath": "$.run",
            "Retry": [
                {
                    "ErrorEquals": ["StepFunctions.SdkClientException", "States.Timeout"],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 2,
                    "BackoffRate": 2.0,
                }
            ],
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Not started"}
            ],
            "Next": "Begin polling",
        },
        "Look up image run": {
            "Type": "Pass",
            "Parameters": {
                "id.$": "$.id",
                "run": {"execution_arn.$": f"States.Format('{executions}:{{}}', $.id)"},
                "polls": 0,
            },
            "Next": "Describe image run",
        },
        "Begin polling": {
            "Type": "Pass",
            "Parameters": {"id.$": "$$.Execution.Name", "run.$": "$.run", "polls": 0},
            "Next": "Wait for image run",
        },
    }


def _polling_states(budget: SyncBudget, partition: str) -> dict[str, Any]:
    """Poll the image run until it ends or the budget is spent."""
    return {
        "Wait for image run": {
            "Type": "Wait",
            "Seconds": budget.poll_seconds,
            "Next": "Describe image run",
        },
        "Describe image run": {
            "Type": "Task",
            "Resource": integration_arn("aws-sdk:sfn:describeExecution", partition),
            "Parameters": {"ExecutionArn.$": "$.run.execution_arn"},
            "ResultPath": "$.described",
            "Catch": [
                {
                    "ErrorEquals": [
                        "Sfn.ExecutionDoesNotExistException",
                        "Sfn.InvalidArnException",
                    ],
                    "ResultPath": "$.error",
                    "Next": "Unknown id",
                },
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Still working"},
            ],
            "Next": "Image run status",
        },
        "Image run status": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.described.Status",
                    "StringEquals": "SUCCEEDED",
                    "Next": "Read cutout",
                },
                {
                    "Or": [
                        {"Variable": "$.described.Status", "StringEquals": status}
                        for status in ("FAILED", "TIMED_OUT", "ABORTED")
                    ],
                    "Next": "Failure defaults",
                },
                {
                    "Variable": "$.polls",
                    "NumericGreaterThanEquals": budget.max_polls,
                    "Next": "Still working",
                },
            ],
            "Default": "Next poll",
        },
        "Next poll": {
            "Type": "Pass",
            "Parameters": {
                "id.$": "$.id",
                "run.$": "$.run",
                "polls.$": "States.MathAdd($.polls, 1)",
            },
            "Next": "Wait for image run",
        },
    }


def _success_states() -> dict[str, Any]:
    """The cutout's URL, from the image run's summary."""
    return {
        "Read cutout": {
            "Type": "Pass",
            "Parameters": {"summary.$": "States.StringToJson($.described.Output)"},
            "ResultPath": "$.read",
            "Next": "Cutout",
        },
        "Cutout": _answer(
            200,
            "SUCCEEDED",
            {"id.$": "$.id", "url.$": "$.read.summary.output_url"},
            comment="The cutout's presigned URL (the report's output_url for the one item).",
        ),
    }


def _failure_states() -> dict[str, Any]:
    """Why the image run failed: a Lambda error's message when there is one."""
    return {
        "Failure defaults": {
            "Type": "Pass",
            "Comment": "DescribeExecution omits Error and Cause when there are none.",
            "Result": {"Error": "States.Failed", "Cause": ""},
            "ResultPath": "$.defaults",
            "Next": "Read failure",
        },
        "Read failure": {
            "Type": "Pass",
            "Parameters": {"failure.$": "States.JsonMerge($.defaults, $.described, false)"},
            "ResultPath": "$.read",
            "Next": "Failure kind",
        },
        "Failure kind": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.read.failure.Cause",
                    "StringMatches": "{*}",
                    "Next": "Read error message",
                },
            ],
            "Default": "Failed",
        },
        "Read error message": {
            "Type": "Pass",
            "Comment": "A Lambda's error: its cause is {errorMessage, errorType, …} as a string.",
            "Parameters": {
                "failure.$": "$.read.failure",
                "cause.$": "States.StringToJson($.read.failure.Cause)",
            },
            "ResultPath": "$.read",
            "Next": "Has error message",
        },
        "Has error message": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.read.cause.errorMessage", "IsPresent": True},
                        {
                            "Variable": "$.read.failure.Error",
                            "StringEquals": SourceNotFoundError.__name__,
                        },
                    ],
                    "Next": "Not found",
                },
                {
                    "Variable": "$.read.cause.errorMessage",
                    "IsPresent": True,
                    "Next": "Failed with message",
                },
            ],
            "Default": "Failed",
        },
    }


def _failure_answers() -> dict[str, Any]:
    """The answers for a failed, unfinished, refused or unknown run."""
    return {
        "Not found": _answer(
            404,
            "FAILED",
            {
                "id.$": "$.id",
                "error.$": "$.read.failure.Error",
                "message.$": "$.read.cause.errorMessage",
            },
            comment="The tutorial's missing-key error: S3 object '…' does not exist in bucket '…'.",
        ),
        "Failed with message": _answer(
            400,
            "FAILED",
            {
                "id.$": "$.id",
                "error.$": "$.read.failure.Error",
                "message.$": "$.read.cause.errorMessage",
            },
        ),
        "Failed": _answer(
            400,
            "FAILED",
            {
                "id.$": "$.id",
                "error.$": "$.read.failure.Error",
                "message.$": "$.read.failure.Cause",
            },
        ),
        "Still working": _answer(
            202,
            "RUNNING",
            {"id.$": "$.id"},
            comment="API Gateway adds the status URL (it knows its own domain and stage).",
        ),
        "Not started": _answer(
            502,
            "ERROR",
            {"error.$": "$.error.Error", "message.$": "$.error.Cause"},
        ),
        "Unknown id": _answer(
            404,
            "UNKNOWN",
            {"id.$": "$.id", "message": "no image run has this id"},
        ),
    }


def _answer(
    http_status: int, status: str, fields: dict[str, Any], *, comment: str | None = None
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Pass",
        "Parameters": {"http_status": http_status, "status": status, **fields},
        "End": True,
    }
    if comment:
        state["Comment"] = comment
    return state


# --- API Gateway mapping templates (Velocity) --------------------------------------------
# $util.escapeJavaScript escapes ' as \' which JSON does not allow: AWS's documented fix is
# .replaceAll("\\'", "'") (a Java regex: a backslash, then a quote).
_JSON_STRING = """$util.escapeJavaScript({value}).replaceAll("\\\\'", "'")"""


def _escaped_twice(reference: str) -> str:
    """VTL that writes ``reference`` as a JSON string inside a JSON string (no quotes)."""
    once = _JSON_STRING.format(value=reference)
    return _JSON_STRING.format(value=once)


def request_template(state_machine_arn: str, parameter: str) -> str:
    """StartSyncExecution's body: the answer workflow, with ``{"<parameter>": value}`` as input.

    The input is a JSON document inside a JSON string, so the query parameter is
    escaped twice; the execution is named after the API request (the image run
    takes the same name, which is how a 202 answer can point at it).
    """
    value = _escaped_twice(f"$input.params('{parameter}')")
    return (
        "{"
        f'"stateMachineArn": "{state_machine_arn}", '
        '"name": "$context.requestId", '
        f'"input": "{{\\"{parameter}\\": \\"{value}\\"}}"'
        "}"
    )


_STATUS_URL = "https://$context.domainName/$context.stage/" + STATUS_PATH + "?id="
_RUNNING = (
    '{{"status": "RUNNING", "id": "{id}", "status_url": "' + _STATUS_URL + '{id}", '
    '"message": "The cutout is not ready yet: GET status_url (signed like this request) '
    'for the result."}}'
)


def response_template(*, timed_out: str) -> str:
    """The integration response: the answer workflow's output, its status as the HTTP status.

    Parameters
    ----------
    timed_out
        The body (and status) when the answer workflow itself timed out: for the cutout
        route a 202 naming the image run (``$context.requestId``), for the status
        route a 504 asking to try again.
    """
    running = _RUNNING.format(id="$util.urlEncode($answer.id)")
    return f"""#set($r = $input.path('$'))
#if($r.status == "SUCCEEDED")
#set($answer = $util.parseJson($r.output))
#set($context.responseOverride.status = $answer.http_status)
#if($answer.http_status == 202)
{running}
#else
$r.output
#end
#elseif($r.status == "TIMED_OUT")
{timed_out}
#else
#set($context.responseOverride.status = 502)
{{"status": "ERROR", "message": "the request could not be answered", "execution": "$r.executionArn"}}
#end"""


CUTOUT_TIMED_OUT = "#set($context.responseOverride.status = 202)\n" + _RUNNING.format(
    id="$context.requestId"
)
STATUS_TIMED_OUT = (
    "#set($context.responseOverride.status = 504)\n"
    '{"status": "UNKNOWN", "message": "no answer in time: ask again"}'
)
#: Step Functions refused StartSyncExecution itself (throttled, bad request): a plain 502.
REFUSED = '{"status": "ERROR", "message": "Step Functions refused the request"}'
