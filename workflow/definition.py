"""The state machine definition: the single source of truth for both engines.

``build_definition`` returns the Amazon States Language document as a dict. CDK
deploys it (with the real function ARNs), the local engine runs it on moto's
interpreter (with local ARNs), and the tests parse it. The per-item pipeline is one
fragment, ``item_pipeline``, so the single-image Express workflow reuses it as is.

Keep to features both engines run (see ``workflow/moto_workarounds.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdas import errors

#: The Distributed Map's label: its child executions are named ``<machine>/<label>:<id>``.
MAP_LABEL = "Images"

#: Logical function names; the keys of the ARN mapping ``build_definition`` takes.
FUNCTIONS = (
    "plan",
    "validate",
    "resize",
    "remove_background",
    "store",
    "record_failure",
    "report",
)


# One partition rule, decided for the ASL too: a service integration's Resource carries
# the execution's own partition, never a literal "aws". Step Functions fails such a task
# at run time in aws-cn ("The resource belongs to a different partition from the running
# execution", github.com/aws/aws-cdk/issues/4597), and CDK's own tasks write
# arn:${AWS::Partition}:states:::… The constructs pass Stack.partition (a token CDK
# resolves in the definition string); the local engine, on moto, keeps "aws".
def integration_arn(api: str, partition: str = "aws") -> str:
    """A service integration's ``Resource``: ``arn:<partition>:states:::<api>``."""
    return f"arn:{partition}:states:::{api}"


# AWS's recommended retry for Lambda service-side errors.
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


@dataclass(frozen=True)
class RetryPolicy:
    """One ``Retry`` entry's numbers."""

    interval_seconds: int = 2
    backoff_rate: float = 2.0
    max_attempts: int = 6
    max_delay_seconds: int | None = None
    full_jitter: bool = False

    def retrier(self, error_names: list[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ErrorEquals": list(error_names),
            "IntervalSeconds": self.interval_seconds,
            "BackoffRate": float(self.backoff_rate),
            "MaxAttempts": self.max_attempts,
        }
        if self.max_delay_seconds is not None:
            entry["MaxDelaySeconds"] = self.max_delay_seconds
        if self.full_jitter:
            entry["JitterStrategy"] = "FULL"
        return entry


@dataclass(frozen=True)
class WorkflowSettings:
    """Numbers in the definition that come from configuration."""

    lambda_service: RetryPolicy = field(default_factory=RetryPolicy)
    # Model throttling: a quota refills slowly, so back off far and spread the retries.
    model_throttling: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            interval_seconds=2,
            backoff_rate=2.0,
            max_attempts=8,
            max_delay_seconds=60,
            full_jitter=True,
        )
    )
    transient: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            interval_seconds=2, backoff_rate=2.0, max_attempts=4, full_jitter=True
        )
    )
    # Seconds a per-item Lambda task may take before Step Functions gives up on it.
    task_timeout_seconds: int = 900
    # The single-image run's own TimeoutSeconds (CDK's ``timeout`` is ignored for a
    # definition given as a string): room for every retry above, never the limit in practice.
    single_image_timeout_seconds: int = 3600


def _task(
    arn: str,
    *,
    result_path: str | None,
    next_state: str | None,
    retry: list[dict[str, Any]],
    catch_to: str | None,
    comment: str,
    timeout: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Comment": comment,
        "Resource": arn,
        "ResultPath": result_path,
        "Retry": retry,
    }
    if parameters is not None:
        state["Parameters"] = parameters
    if timeout is not None:
        state["TimeoutSeconds"] = timeout
    if catch_to is not None:
        state["Catch"] = [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": catch_to}
        ]
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def item_pipeline(
    arns: Mapping[str, str], settings: WorkflowSettings, *, item_done: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The per-item states: Validate → Resize → Remove background → Store.

    Any error that retries cannot fix goes to "Record failure", which writes the
    item's failure record; the iteration then ends in "Item failed" so the Map Run
    counts it as failed. Store writes the success record. ``item_done`` replaces the
    final success state (the single-image workflow answers with the cutout's URL).
    """
    lambda_retry = settings.lambda_service.retrier(LAMBDA_SERVICE_ERRORS)
    transient_retry = settings.transient.retrier(list(errors.TRANSIENT_ERRORS))
    throttle_retry = settings.model_throttling.retrier(list(errors.THROTTLING_ERRORS))
    timeout = settings.task_timeout_seconds

    states = {
        "Validate image": _task(
            arns["validate"],
            result_path="$.validated",
            next_state="Resize for model",
            retry=[lambda_retry, transient_retry],
            catch_to="Record failure",
            comment="Format from magic bytes, byte and pixel caps, integrity, sha256.",
            timeout=timeout,
        ),
        "Resize for model": _task(
            arns["resize"],
            result_path="$.resized",
            next_state="Remove background",
            retry=[lambda_retry, transient_retry],
            catch_to="Record failure",
            comment="EXIF orientation, 8-bit sRGB, model-sized copy in work/.",
            timeout=timeout,
        ),
        "Remove background": _task(
            arns["remove_background"],
            result_path="$.mask",
            next_state="Store cutout",
            retry=[lambda_retry, throttle_retry, transient_retry],
            catch_to="Record failure",
            comment="The model makes a soft mask of the model-sized copy (or the cache has it).",
            timeout=timeout,
            parameters={
                "item.$": "$.item",
                "run.$": "$.run",
                "resized.$": "$.resized",
                # So the record can say how many attempts throttling cost.
                "retry_count.$": "$$.State.RetryCount",
            },
        ),
        "Store cutout": _task(
            arns["store"],
            result_path=None,
            next_state="Item done",
            retry=[lambda_retry, transient_retry],
            catch_to="Record failure",
            comment="Mask upscaled onto the full-resolution original; output and success record.",
            timeout=timeout,
        ),
        # Each iteration's output is kept tiny: a Distributed Map gathers them all.
        "Item done": item_done or {"Type": "Pass", "Result": {}, "End": True},
        "Record failure": _task(
            arns["record_failure"],
            result_path=None,
            next_state="Item failed",
            retry=[lambda_retry, transient_retry],
            catch_to=None,
            comment="The item's failure record: error type and a plain reason.",
            timeout=timeout,
        ),
        "Item failed": {
            "Type": "Fail",
            "Comment": "Counted as a failed item in the Map Run; the batch goes on.",
            "ErrorPath": "$.error.Error",
            "CausePath": "$.error.Cause",
        },
    }
    return {"StartAt": "Validate image", "States": states}


def build_definition(
    arns: Mapping[str, str], settings: WorkflowSettings | None = None, *, partition: str = "aws"
) -> dict[str, Any]:
    """Return the batch workflow's ASL document.

    Parameters
    ----------
    arns
        Function ARN for each name in ``FUNCTIONS``.
    settings
        Concurrency and retry numbers; defaults suit the local model.
    partition
        The AWS partition of the service integrations (``integration_arn``).
    """
    missing = [name for name in FUNCTIONS if name not in arns]
    if missing:
        raise ValueError(f"no ARN for {', '.join(missing)}")
    settings = settings or WorkflowSettings()
    lambda_retry = settings.lambda_service.retrier(LAMBDA_SERVICE_ERRORS)
    transient_retry = settings.transient.retrier(list(errors.TRANSIENT_ERRORS))

    processor = item_pipeline(arns, settings)
    processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}

    return {
        "Comment": "bgremove: remove the background of every image in a batch.",
        "StartAt": "Plan batch",
        "States": {
            "Plan batch": {
                "Type": "Task",
                "Comment": "Manifest or prefix → items.json; bad input stops the run here.",
                "Resource": arns["plan"],
                "Parameters": {
                    "request.$": "$",
                    "execution_name.$": "$$.Execution.Name",
                },
                "ResultPath": "$.plan",
                "Retry": [lambda_retry, transient_retry],
                "Next": "Process images",
            },
            "Process images": {
                "Type": "Map",
                "Comment": "One child workflow per image.",
                "Label": MAP_LABEL,
                "ItemReader": {
                    "Resource": integration_arn("s3:getObject", partition),
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket.$": "$.plan.items_bucket", "Key.$": "$.plan.items_key"},
                },
                "ItemSelector": {"item.$": "$$.Map.Item.Value", "run.$": "$.plan.run"},
                "MaxConcurrencyPath": "$.plan.concurrency",
                # Failed items have their own records; the Map must always reach the report.
                "ToleratedFailurePercentage": 100.0,
                "ItemProcessor": processor,
                # Every child's result (a failed one's error and cause included) goes to
                # S3, not into the Map's output: a few hundred failures would pass the
                # 256 KiB state limit, and ResultPath null does not prevent that.
                "ResultWriter": {
                    "Resource": integration_arn("s3:putObject", partition),
                    "Parameters": {
                        "Bucket.$": "$.plan.items_bucket",
                        "Prefix.$": "$.plan.results_prefix",
                    },
                },
                "ResultPath": None,
                "Next": "Write report",
            },
            "Write report": {
                "Type": "Task",
                "Comment": "report.json, report.csv and index.html from every item's record.",
                "Resource": arns["report"],
                "Parameters": {"run.$": "$.plan.run"},
                "Retry": [lambda_retry, transient_retry],
                "End": True,
            },
        },
    }


def build_single_image_definition(
    arns: Mapping[str, str], settings: WorkflowSettings | None = None
) -> dict[str, Any]:
    """The tutorial's request as a workflow: ``{"input_key": ...}`` → the cutout's URL.

    The same Plan (with its missing-key error) and the same per-item fragment as the
    batch; the output is the report step's summary, whose ``output_url`` is the one
    item's cutout. It runs as a Standard workflow that API Gateway's answer workflow
    starts and polls (``workflow/single_image_api.py``).
    """
    settings = settings or WorkflowSettings()
    lambda_retry = settings.lambda_service.retrier(LAMBDA_SERVICE_ERRORS)
    respond = {
        "Type": "Task",
        "Comment": "The run's report; its output_url is the cutout's presigned URL.",
        "Resource": arns["report"],
        "Parameters": {"run.$": "$.run"},
        "Retry": [lambda_retry],
        "End": True,
    }
    pipeline = item_pipeline(arns, settings, item_done=respond)
    return {
        "Comment": "bgremove: one image (the tutorial's input_key request).",
        "TimeoutSeconds": settings.single_image_timeout_seconds,
        "StartAt": "Plan image",
        "States": {
            "Plan image": {
                "Type": "Task",
                "Resource": arns["plan"],
                "Parameters": {
                    "request": {"input_key.$": "$.input_key"},
                    "execution_name.$": "$$.Execution.Name",
                },
                "ResultSelector": {"item.$": "$.first_item", "run.$": "$.run"},
                "Retry": [lambda_retry],
                "Next": pipeline["StartAt"],
            },
            **pipeline["States"],
        },
    }


def error_names_used(definition: Mapping[str, Any]) -> set[str]:
    """Every error name a Retry or Catch in ``definition`` matches (nested Maps included)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key in ("Retry", "Catch"):
                for entry in node.get(key, []):
                    names.update(entry["ErrorEquals"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(definition)
    return names


def map_labels(definition: Mapping[str, Any]) -> list[str]:
    """The ``Label`` of every Distributed Map in ``definition`` (its child executions' prefix)."""
    labels: list[str] = []

    def walk(states: Mapping[str, Any]) -> None:
        for state in states.values():
            if state.get("Type") == "Map" and "ItemProcessor" in state:
                if state["ItemProcessor"].get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
                    labels.append(state.get("Label", ""))
                walk(state["ItemProcessor"]["States"])

    walk(definition["States"])
    return labels


def to_json(definition: Mapping[str, Any]) -> str:
    return json.dumps(definition, indent=2)
