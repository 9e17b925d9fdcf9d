from lambdas import errors
from workflow.definition import (
    FUNCTIONS,
    RetryPolicy,
    WorkflowSettings,
    build_definition,
    error_names_used,
    item_pipeline,
)

ARNS = {name: f"arn:aws:lambda:us-east-1:123456789012:function:{name}" for name in FUNCTIONS}
# Names Step Functions or Lambda raise themselves, not our code.
SERVICE_ERRORS = {
    "States.ALL",
    "States.Timeout",
    "States.TaskFailed",
    "Sandbox.Timedout",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def test_every_retry_and_catch_name_is_an_error_class_or_a_service_error():
    names = error_names_used(build_definition(ARNS))
    ours = names - SERVICE_ERRORS
    assert ours, "the definition should retry some of our own errors"
    assert ours <= errors.error_names()
    assert {"ModelThrottledError", "ModelUnavailableError", "StorageUnavailableError"} <= ours


def test_retryable_errors_are_exactly_the_retried_ones():
    retryable = {
        name
        for name in errors.error_names()
        if issubclass(getattr(errors, name), errors.RetryableError) and name != "RetryableError"
    }
    assert retryable == set(errors.THROTTLING_ERRORS) | set(errors.TRANSIENT_ERRORS)


def test_shape_plan_distributed_map_report():
    definition = build_definition(ARNS)
    states = definition["States"]
    assert definition["StartAt"] == "Plan batch"
    assert states["Plan batch"]["Next"] == "Process images"
    process = states["Process images"]
    assert process["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert process["ItemReader"]["ReaderConfig"]["InputType"] == "JSON"
    assert process["ToleratedFailurePercentage"] == 100.0
    assert process["Next"] == "Write report"
    assert states["Write report"]["End"] is True


def test_every_item_step_catches_into_record_failure_and_record_failure_ends_failed():
    pipeline = item_pipeline(ARNS, WorkflowSettings())
    steps = ["Validate image", "Resize for model", "Remove background", "Store cutout"]
    chain, state = [], pipeline["StartAt"]
    while state in steps:
        chain.append(state)
        step = pipeline["States"][state]
        assert step["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Record failure"}
        ]
        state = step["Next"]
    assert chain == steps
    assert pipeline["States"]["Record failure"]["Next"] == "Item failed"
    assert pipeline["States"]["Item failed"]["Type"] == "Fail"


def test_model_throttling_backs_off_with_full_jitter_and_a_cap():
    settings = WorkflowSettings(model_throttling=RetryPolicy(3, 2.0, 9, 45, True))
    remove = item_pipeline(ARNS, settings)["States"]["Remove background"]
    throttling = [r for r in remove["Retry"] if r["ErrorEquals"] == ["ModelThrottledError"]]
    assert throttling == [
        {
            "ErrorEquals": ["ModelThrottledError"],
            "IntervalSeconds": 3,
            "BackoffRate": 2.0,
            "MaxAttempts": 9,
            "MaxDelaySeconds": 45,
            "JitterStrategy": "FULL",
        }
    ]
    # Only the model step is retried on throttling.
    validate = item_pipeline(ARNS, settings)["States"]["Validate image"]
    assert all("ModelThrottledError" not in r["ErrorEquals"] for r in validate["Retry"])


def test_missing_arn_is_refused():
    import pytest

    with pytest.raises(ValueError, match="no ARN for report"):
        build_definition({name: ARNS[name] for name in FUNCTIONS if name != "report"})
