"""Each Bedrock adapter's exact request and its parsing of recorded-shape responses."""

import base64
import io
import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
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
from lambdas.imaging.resize import encode_for_model
from lambdas.models import bedrock, get_model
from lambdas.models.stability import StabilityRemoveBackground
from lambdas.models.titan import TitanBackgroundRemoval
from tests.fixtures.events import EVENTS

BEDROCK_ANSWERS = EVENTS / "bedrock"
IMAGE = Image.new("RGB", (64, 48), (240, 240, 240))


def body(name: str) -> StreamingBody:
    raw = (BEDROCK_ANSWERS / name).read_bytes()
    return StreamingBody(io.BytesIO(raw), len(raw))


def image_b64(image: Image.Image) -> str:
    """What the adapters send: the copy as JPEG (quality 95), the format every model accepts."""
    data = encode_for_model(image, "JPEG")
    assert data[:3] == b"\xff\xd8\xff"
    return base64.b64encode(data).decode()


def png_b64(image: Image.Image) -> str:
    """How the models answer: a PNG cutout."""
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


def answer(payload: dict) -> dict:
    raw = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


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
        ("ServiceQuotaExceededException", ModelThrottledError, "throttling"),
        ("ModelErrorException", ModelUnavailableError, "transient"),
        ("ServiceUnavailableException", ModelUnavailableError, "transient"),
        ("InternalServerException", ModelUnavailableError, "transient"),
        ("ModelNotReadyException", ModelUnavailableError, "transient"),
        ("ModelTimeoutException", ModelUnavailableError, "transient"),
        ("ValidationException", ModelRefusedError, "rejected the image: nope"),
        (
            "AccessDeniedException",
            ModelAccessError,
            "model access not enabled for amazon.titan-image-generator-v2:0 in us-east-1: "
            "enable it in the Bedrock console",
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


def test_content_filter_refusal_is_named_as_such(runtime):
    client, stubber = runtime
    stubber.add_client_error(
        "invoke_model",
        service_error_code="ValidationException",
        service_message="This request has been blocked by our content filters.",
    )
    with pytest.raises(ModelRefusedError, match="content filter: This request has been blocked"):
        TitanBackgroundRemoval(client=client).remove_background(IMAGE)


def test_unknown_error_codes_propagate_unchanged(runtime):
    client, stubber = runtime
    stubber.add_client_error("invoke_model", service_error_code="SomethingNewException")
    with pytest.raises(Exception) as raised:
        TitanBackgroundRemoval(client=client).remove_background(IMAGE)
    assert raised.value.response["Error"]["Code"] == "SomethingNewException"


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://bedrock-runtime"),
        EndpointConnectionError(endpoint_url="https://bedrock-runtime"),
        ConnectTimeoutError(endpoint_url="https://bedrock-runtime"),
    ],
)
def test_connection_problems_are_transient(error):
    classified = bedrock.classify(error, model_id="m", region="us-west-2")
    assert isinstance(classified, ModelUnavailableError)
    assert "m did not answer in us-west-2" in str(classified)


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        ({"images": ["bm90IGFuIGltYWdl"], "error": None}, "cannot be decoded"),
        ({"images": [], "error": None}, "returned no image"),
        ({"error": None}, "returned no image"),
        ({"images": [png_b64(IMAGE)], "error": None}, "without transparency"),
    ],
)
def test_unusable_answers(runtime, payload, text):
    client, stubber = runtime
    stubber.add_response("invoke_model", answer(payload), None)
    with pytest.raises(ModelResponseError, match=text):
        TitanBackgroundRemoval(client=client).remove_background(IMAGE)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"null"])
def test_a_body_that_is_not_a_json_object(runtime, raw):
    client, stubber = runtime
    stubber.add_response(
        "invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "x"}, None
    )
    with pytest.raises(ModelResponseError, match="not a JSON object"):
        StabilityRemoveBackground(client=client).remove_background(IMAGE)


def test_a_cutout_of_another_size_is_resized_back(runtime):
    client, stubber = runtime
    cutout = Image.new("RGBA", (128, 96), (0, 0, 0, 0))
    cutout.paste((255, 0, 0, 255), (64, 0, 128, 96))  # right half is the subject
    stubber.add_response("invoke_model", answer({"images": [png_b64(cutout)], "error": None}), None)
    mask = TitanBackgroundRemoval(client=client).remove_background(IMAGE)
    assert mask.size == IMAGE.size
    assert mask.getpixel((60, 24)) == 255 and mask.getpixel((4, 24)) == 0


def test_stability_inference_error_is_retried_not_refused(runtime):
    client, stubber = runtime
    stubber.add_response(
        "invoke_model",
        answer({"seeds": [1], "finish_reasons": ["Inference error"], "images": []}),
        None,
    )
    with pytest.raises(ModelUnavailableError, match="Inference error"):
        StabilityRemoveBackground(client=client).remove_background(IMAGE)


class _Raw:
    def __init__(self, data):
        self.data = data

    def stream(self, **_):
        yield self.data


def test_the_runtime_client_does_not_retry(monkeypatch):
    """A throttled call reaches the network once: the state machine owns retries."""
    sent = []

    def throttle(request, **_):
        sent.append(request.url)
        body = json.dumps({"message": "Too many requests"}).encode()
        headers = {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/json"}
        return AWSResponse(request.url, 429, headers, _Raw(body))

    client = bedrock.runtime_client("us-west-2")
    client.meta.events.register("before-send.bedrock-runtime.InvokeModel", throttle)
    model = TitanBackgroundRemoval(client=client, region="us-west-2")
    with pytest.raises(ModelThrottledError, match="in us-west-2: Too many requests"):
        model.remove_background(IMAGE)
    assert len(sent) == 1
    assert client.meta.config.read_timeout == bedrock.READ_TIMEOUT_SECONDS


def test_registry_builds_adapters_on_the_simulator_or_an_injected_client():
    from lambdas.models import simulated_bedrock

    model = get_model("stability", simulate="seed=3")
    assert isinstance(model, StabilityRemoveBackground)
    assert model.client is simulated_bedrock.shared("seed=3")
    assert model.limits.max_pixels == 9_437_184
    nova = get_model("nova-canvas", client="injected", region="us-west-2")
    assert (nova.model_id, nova.client, nova.region) == (
        "amazon.nova-canvas-v1:0",
        "injected",
        "us-west-2",
    )
    assert nova.cache_params() == {
        "model_id": "amazon.nova-canvas-v1:0",
        "task": "BACKGROUND_REMOVAL",
    }


def test_an_encoded_copy_is_sent_as_it_is(runtime):
    client, stubber = runtime
    data = encode_for_model(IMAGE, "JPEG")
    stubber.add_response(
        "invoke_model",
        {"body": body("stability_success.json"), "contentType": "application/json"},
        {
            "modelId": ANY,
            "body": JsonBody({"image": base64.b64encode(data).decode(), "output_format": "png"}),
            "accept": ANY,
            "contentType": ANY,
        },
    )
    mask = StabilityRemoveBackground(client=client).remove_background_encoded(data, IMAGE.size)
    assert mask.size == IMAGE.size
