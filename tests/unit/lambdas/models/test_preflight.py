"""Lifecycle preflight against a stubbed Bedrock control plane."""

from datetime import UTC, date, datetime

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.errors import ModelUnusableError
from lambdas.models.preflight import preflight

TODAY = date(2026, 11, 24)
STABILITY_BASE = "stability.stable-image-remove-background-v1:0"


@pytest.fixture
def bedrock(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("bedrock", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def lifecycle(status, end_of_life=None):
    details = {"modelArn": "arn", "modelId": "x", "modelLifecycle": {"status": status}}
    if end_of_life:
        details["modelLifecycle"]["endOfLifeTime"] = end_of_life
    return {"modelDetails": details}


def availability(
    model_id, authorization="AUTHORIZED", entitlement="AVAILABLE", agreement="AVAILABLE"
):
    return {
        "modelId": model_id,
        "agreementAvailability": {"status": agreement},
        "authorizationStatus": authorization,
        "entitlementAvailability": entitlement,
        "regionAvailability": "AVAILABLE",
    }


def test_active_model_passes_asking_for_the_profiles_base_model(bedrock):
    client, stubber = bedrock
    stubber.add_response(
        "get_foundation_model", lifecycle("ACTIVE"), {"modelIdentifier": STABILITY_BASE}
    )
    stubber.add_response(
        "get_foundation_model_availability",
        availability(STABILITY_BASE),
        {"modelId": STABILITY_BASE},
    )
    result = preflight("stability", region="us-east-1", bedrock_client=client, today=TODAY)
    assert result.ok and result.status == "ACTIVE" and not result.warnings
    assert result.model_id == "us.stability.stable-image-remove-background-v1:0"
    assert result.alternatives == ["nova-canvas", "local"]  # titan-v2 is past its end of life


def test_legacy_model_warns_with_its_end_of_life_date_and_alternatives(bedrock):
    client, stubber = bedrock
    eol = datetime(2027, 3, 31, tzinfo=UTC)
    stubber.add_response("get_foundation_model", lifecycle("LEGACY", eol), None)
    stubber.add_response(
        "get_foundation_model_availability", availability("amazon.nova-canvas-v1:0"), None
    )
    result = preflight("nova-canvas", region="us-east-1", bedrock_client=client, today=TODAY)
    assert result.status == "LEGACY" and result.eol_date == date(2027, 3, 31)
    assert "Legacy model and reaches its end of life on 2027-03-31" in result.warnings[0]
    assert (
        "--model stability (us.stability.stable-image-remove-background-v1:0)"
        in (result.warnings[0])
    )


def test_past_the_catalogs_end_of_life_stops_before_asking_aws():
    with pytest.raises(ModelUnusableError, match="end of life on 2026-06-30.*--model stability"):
        preflight("titan-v2", region="us-east-1", today=TODAY)
    earlier = preflight("titan-v2", region="us-east-1", today=date(2026, 1, 1))
    assert "end of life on 2026-06-30" in earlier.warnings[0]


def test_an_end_of_life_date_from_aws_that_has_passed_stops_the_run(bedrock):
    client, stubber = bedrock
    stubber.add_response(
        "get_foundation_model", lifecycle("LEGACY", datetime(2026, 9, 30, tzinfo=UTC)), None
    )
    with pytest.raises(ModelUnusableError, match=r"2026-09-30 \(per AWS\).*--model local"):
        preflight("nova-canvas", region="us-east-1", bedrock_client=client, today=TODAY)


def test_no_access_stops_the_run(bedrock):
    client, stubber = bedrock
    stubber.add_client_error("get_foundation_model", "AccessDeniedException", "not allowed")
    with pytest.raises(ModelUnusableError, match="no access to us.stability.*Model access"):
        preflight("stability", region="us-east-1", bedrock_client=client, today=TODAY)
    stubber.add_response("get_foundation_model", lifecycle("ACTIVE"), None)
    stubber.add_response(
        "get_foundation_model_availability",
        availability(STABILITY_BASE, authorization="NOT_AUTHORIZED"),
        None,
    )
    with pytest.raises(ModelUnusableError, match="model access not enabled for us.stability"):
        preflight("stability", region="us-east-1", bedrock_client=client, today=TODAY)


def test_access_that_cannot_be_checked_or_is_not_yet_enabled_only_warns(bedrock):
    client, stubber = bedrock
    stubber.add_response("get_foundation_model", lifecycle("ACTIVE"), None)
    stubber.add_client_error("get_foundation_model_availability", "AccessDeniedException")
    result = preflight("stability", region="us-east-1", bedrock_client=client, today=TODAY)
    assert "could not check model access" in result.warnings[0]
    stubber.add_response("get_foundation_model", lifecycle("ACTIVE"), None)
    stubber.add_response(
        "get_foundation_model_availability",
        availability(STABILITY_BASE, entitlement="NOT_AVAILABLE", agreement="NOT_AVAILABLE"),
        None,
    )
    result = preflight("stability", region="us-east-1", bedrock_client=client, today=TODAY)
    assert "not enabled for this account yet" in result.warnings[0]


def test_a_throttled_lifecycle_check_falls_back_to_the_catalog(bedrock):
    client, stubber = bedrock
    stubber.add_client_error("get_foundation_model", "ThrottlingException")
    stubber.add_response(
        "get_foundation_model_availability", availability("amazon.nova-canvas-v1:0"), None
    )
    result = preflight("nova-canvas", region="us-east-1", bedrock_client=client, today=TODAY)
    assert result.status == "LEGACY"
    assert any("going by bgremove's catalog" in warning for warning in result.warnings)


def test_unsupported_region_stops_the_run_naming_what_works_there():
    with pytest.raises(
        ModelUnusableError, match="not offered in eu-central-1.*or --model local"
    ) as raised:
        preflight("stability", region="eu-central-1", today=TODAY)
    assert "--model nova-canvas" not in str(raised.value)  # not offered there either
    with pytest.raises(ModelUnusableError, match="--model nova-canvas"):
        preflight("stability", region="eu-west-1", today=TODAY)


def test_offline_models_need_no_aws_and_unknown_models_are_refused():
    for name in ("local", "onnx"):
        result = preflight(name, region="anywhere", bedrock_client=object(), today=TODAY)
        assert result.ok and result.model_id is None and not result.warnings
    with pytest.raises(ModelUnusableError, match="unknown model 'dalle'"):
        preflight("dalle", region="us-east-1")
