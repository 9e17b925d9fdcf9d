"""Each Bedrock adapter's exact request and its parsing of recorded-shape responses."""

import base64
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from lambdas.errors import (
    ModelAccessError,
    ModelRefusedError,
    ModelResponseError,
    ModelThrottledError,
    ModelUnavailableError,
)
from lambdas.models import get_model
from lambdas.models.stability import StabilityRemoveBackground
from lambdas.models.titan import TitanBackgroundRemoval

EVENTS = Path(__file__).parents[3] / "events" / "bedrock"
IMAGE = Image.new("RGB", (64, 48), (240, 240, 240))


def body(name: str) -> StreamingBody:
    raw = (EVENTS / name).read_bytes()
    return StreamingBody(io.BytesIO(raw), len(raw))


def image_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class JsonBody:
    """Matches a request body by its JSON content, not its key order."""

    def __init__(self, expected):
        self.expected = expected

    def __eq__(self, other):
        return json.loads(other) == self.expected


@pytest.fixture
def runtime():
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("name", "model_id"),
    [("titan-v2", "amazon.titan-image-generator-v2:0"), ("nova-canvas", "amazon.nova-canvas-v1:0")],
)
def test_titan_and_nova_request_and_success(runtime, name, model_id):
    client, stubber = runtime
    expected = {
        "taskType": "BACKGROUND_REMOVAL",
        "backgroundRemovalParams": {"image": image_b64(IMAGE)},
    }
    stubber.add_response(
        "invoke_model",
        {"body": body("titan_success.json"), "contentType": "application/json"},
        {
            "modelId": model_id,
            "body": JsonBody(expected),
            "accept": "application/json",
            "contentType": "application/json",
        },
    )
    mask = TitanBackgroundRemoval(name, client=client).remove_background(IMAGE)
    assert mask.mode == "L" and mask.size == IMAGE.size
    assert mask.getpixel((32, 24)) == 255 and mask.getpixel((1, 1)) == 0


def test_titan_error_field_is_a_refusal(runtime):
    client, stubber = runtime
    stubber.add_response(
        "invoke_model",
        {"body": body("titan_error_field.json"), "contentType": "application/json"},
        {"modelId": ANY, "body": ANY, "accept": ANY, "contentType": ANY},
    )
    with pytest.raises(ModelRefusedError, match="content filters"):
        TitanBackgroundRemoval(client=client).remove_background(IMAGE)


def test_stability_request_success_and_filtered(runtime):
    client, stubber = runtime
    params = {
        "modelId": "us.stability.stable-image-remove-background-v1:0",
        "body": JsonBody({"image": image_b64(IMAGE), "output_format": "png"}),
        "accept": "application/json",
        "contentType": "application/json",
    }
    stubber.add_response(
        "invoke_model",
        {"body": body("stability_success.json"), "contentType": "application/json"},
        params,
    )
    stubber.add_response(
        "invoke_model",
        {"body": body("stability_filtered.json"), "contentType": "application/json"},
        params,
    )
    model = StabilityRemoveBackground(client=client)
    assert model.remove_background(IMAGE).getpixel((32, 24)) == 255
    with pytest.raises(ModelRefusedError, match="Filter reason"):
        model.remove_background(IMAGE)


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        ("ThrottlingException", ModelThrottledError, "throttling"),
        ("ServiceUnavailableException", ModelUnavailableError, "transient"),
        ("InternalServerException", ModelUnavailableError, "transient"),
        ("ModelNotReadyException", ModelUnavailableError, "transient"),
        ("ModelTimeoutException", ModelUnavailableError, "transient"),
        ("ValidationException", ModelRefusedError, "rejected the image"),
        (
            "AccessDeniedException",
            ModelAccessError,
            "model access not enabled for amazon.titan-image-generator-v2:0 in us-east-1",
        ),
        ("ResourceNotFoundException", ModelAccessError, "not available in us-east-1"),
    ],
)
def test_bedrock_errors_become_ours(runtime, code, error, text):
    client, stubber = runtime
    stubber.add_client_error(
        "invoke_model", service_error_code=code, service_message="nope", http_status_code=400
    )
    with pytest.raises(error, match=text):
        TitanBackgroundRemoval(client=client, region="us-east-1").remove_background(IMAGE)


def test_garbage_answer(runtime):
    client, stubber = runtime
    raw = json.dumps({"images": ["bm90IGFuIGltYWdl"], "error": None}).encode()
    stubber.add_response(
        "invoke_model",
        {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"},
        None,
    )
    with pytest.raises(ModelResponseError, match="cannot be decoded"):
        TitanBackgroundRemoval(client=client).remove_background(IMAGE)


def test_registry_builds_simulated_adapters():
    model = get_model("stability", simulate="seed=3")
    assert isinstance(model, StabilityRemoveBackground)
    assert model.limits.max_pixels == 9_437_184
