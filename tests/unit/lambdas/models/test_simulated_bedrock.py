"""The simulated bedrock-runtime: wire formats, faults as boto3 raises them, quota, determinism."""

import base64
import contextlib
import io
import json
import threading

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from PIL import Image, ImageDraw

from lambdas.errors import (
    ConfigError,
    ModelAccessError,
    ModelRefusedError,
    ModelThrottledError,
    ModelUnavailableError,
)
from lambdas.models import bedrock, simulated_bedrock
from lambdas.models.simulated_bedrock import SimulatedBedrockRuntime, parse_spec
from lambdas.models.stability import StabilityRemoveBackground
from lambdas.models.titan import TitanBackgroundRemoval

TITAN = "amazon.titan-image-generator-v2:0"
STABILITY = "us.stability.stable-image-remove-background-v1:0"
PHOTO = Image.new("RGB", (96, 72), (230, 230, 230))
ImageDraw.Draw(PHOTO).rectangle((30, 18, 66, 54), fill=(20, 40, 160))


def png_b64(image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def titan_body(image: Image.Image) -> str:
    return json.dumps(
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": png_b64(image)}}
    )


def outcome(simulator, body, model_id=TITAN):
    try:
        simulator.invoke_model(modelId=model_id, body=body)
        return "ok"
    except ClientError as error:
        return error.response["Error"]["Code"]


def test_spec_parsing_and_errors():
    spec = parse_spec("throttle=0.3, seed=7,latency_ms=50")
    assert (spec["throttle"], spec["seed"], spec["latency_ms"], spec["fail"]) == (0.3, 7, 50, 0.0)
    assert parse_spec({"rpm": "600"})["rpm"] == 600
    assert parse_spec("") == parse_spec({})
    for bad, text in [
        ("thottle=0.1", "unknown key 'thottle'; known: throttle, fail, error"),
        ("fail=2", "probability between 0 and 1"),
        ("rpm=x", "rpm must be a whole number"),
        ("seed=1.5", "seed must be a whole number"),
        ("throttle=high", "throttle must be a number"),
        ("latency_ms=-5", "cannot be negative"),
        ("seed", "key=value"),
        ("throttle=0.6,fail=0.6", "add up to more than 1"),
    ]:
        with pytest.raises(ConfigError, match=text):
            parse_spec(bad)


def test_titan_and_nova_answer_in_their_wire_format_with_a_plausible_mask():
    simulator = SimulatedBedrockRuntime("seed=1")
    response = simulator.invoke_model(modelId=TITAN, body=titan_body(PHOTO))
    assert response["contentType"] == "application/json"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    answer = json.loads(response["body"].read())
    assert set(answer) == {"images", "error"} and answer["error"] is None
    for name in ("titan-v2", "nova-canvas"):
        mask = TitanBackgroundRemoval(name, client=simulator).remove_background(PHOTO)
        assert mask.getpixel((48, 36)) > 200 and mask.getpixel((2, 2)) < 30
    assert (simulator.calls, simulator.succeeded) == (3, 3)


def test_stability_answers_in_its_wire_format():
    simulator = SimulatedBedrockRuntime("seed=4")
    body = json.dumps({"image": png_b64(PHOTO), "output_format": "png"})
    answer = json.loads(simulator.invoke_model(modelId=STABILITY, body=body)["body"].read())
    assert set(answer) == {"images", "finish_reasons", "seeds"}
    assert answer["finish_reasons"] == [None]
    mask = StabilityRemoveBackground(client=simulator).remove_background(PHOTO)
    assert mask.getpixel((48, 36)) > 200 and mask.getpixel((2, 2)) < 30


@pytest.mark.parametrize(
    ("model_id", "body", "text"),
    [
        (TITAN, json.dumps({"image": "x"}), "taskType BACKGROUND_REMOVAL"),
        (TITAN, "not json", "not valid JSON"),
        (
            TITAN,
            json.dumps({"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {}}),
            "image is required",
        ),
        (STABILITY, titan_body(PHOTO), "expected 'image'"),
        (STABILITY, json.dumps({"image": png_b64(PHOTO), "output_format": "gif"}), "output_format"),
        (TITAN, titan_body(Image.new("RGB", (1500, 600))), "1408 pixels per side"),
        (
            TITAN,
            json.dumps(
                {
                    "taskType": "BACKGROUND_REMOVAL",
                    "backgroundRemovalParams": {"image": png_b64(PHOTO, "WEBP")},
                }
            ),
            "PNG or JPEG",
        ),
        (
            STABILITY,
            json.dumps({"image": png_b64(Image.new("RGB", (300, 100)))}),
            "aspect ratio 3.00",
        ),
        (STABILITY, json.dumps({"image": png_b64(Image.new("RGB", (63, 63)))}), "at least 64"),
        (STABILITY, json.dumps({"image": "bm90IGFuIGltYWdl"}), "could not be decoded"),
    ],
)
def test_a_request_bedrock_would_reject_is_rejected_the_same_way(model_id, body, text):
    simulator = SimulatedBedrockRuntime("")
    with pytest.raises(ClientError, match=text) as raised:
        simulator.invoke_model(modelId=model_id, body=body)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert (simulator.calls, simulator.rejected, simulator.succeeded) == (1, 1, 0)


class _Raw:
    def __init__(self, data):
        self.data = data

    def stream(self, **_):
        yield self.data


def test_faults_are_raised_exactly_as_boto3_raises_them():
    """Same exception class, operation, and response keys as a real client's parsed 429."""

    def throttle(request, **_):
        body = json.dumps({"message": "Too many requests"}).encode()
        headers = {"x-amzn-ErrorType": "ThrottlingException", "x-amzn-RequestId": "r"}
        return AWSResponse(request.url, 429, headers, _Raw(body))

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        config=boto3.session.Config(retries={"total_max_attempts": 1}),
    )
    client.meta.events.register("before-send.bedrock-runtime.InvokeModel", throttle)
    with pytest.raises(ClientError) as real:
        client.invoke_model(modelId=TITAN, body=titan_body(PHOTO))
    with pytest.raises(ClientError) as simulated:
        SimulatedBedrockRuntime("throttle=1").invoke_model(modelId=TITAN, body=titan_body(PHOTO))
    real, simulated = real.value, simulated.value
    assert type(simulated).__name__ == type(real).__name__ == "ThrottlingException"
    assert simulated.operation_name == real.operation_name == "InvokeModel"
    assert set(simulated.response) == set(real.response)
    assert set(simulated.response["ResponseMetadata"]) == set(real.response["ResponseMetadata"])
    assert simulated.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_fault_rates_are_deterministic_per_seed_and_near_the_asked_rate():
    tiny = Image.new("RGB", (4, 4))

    def run(seed):
        simulator = SimulatedBedrockRuntime(f"throttle=0.3,fail=0.1,error=0.05,seed={seed}")
        outcomes = [outcome(simulator, titan_body(tiny)) for _ in range(1000)]
        counts = (simulator.throttled, simulator.failed, simulator.errors, simulator.succeeded)
        return outcomes, counts

    (first, counts), (again, _), (other, _) = run(7), run(7), run(8)
    assert first == again and first != other
    assert counts == (
        first.count("ThrottlingException"),
        first.count("ValidationException"),
        first.count("ServiceUnavailableException"),
        first.count("ok"),
    )
    assert 0.25 < counts[0] / 1000 < 0.35
    assert 0.06 < counts[1] / 1000 < 0.14
    assert 0.02 < counts[2] / 1000 < 0.08


def test_an_items_faults_do_not_depend_on_the_order_items_arrive_in():
    photos = [Image.new("RGB", (8, 8), (index, 0, 0)) for index in range(30)]

    def faults(order):
        simulator = SimulatedBedrockRuntime("throttle=0.5,seed=3")
        seen = {
            index: [outcome(simulator, titan_body(photos[index])) for _ in range(3)]
            for index in order
        }
        return seen

    forwards, backwards = faults(range(30)), faults(reversed(range(30)))
    assert forwards == backwards
    assert len({tuple(value) for value in forwards.values()}) > 1  # items differ


def test_faults_surface_as_the_adapters_errors():
    with pytest.raises(ModelThrottledError):
        TitanBackgroundRemoval(client=SimulatedBedrockRuntime("throttle=1")).remove_background(
            PHOTO
        )
    with pytest.raises(ModelUnavailableError):
        TitanBackgroundRemoval(client=SimulatedBedrockRuntime("error=1")).remove_background(PHOTO)
    with pytest.raises(ModelRefusedError, match="content filter"):
        TitanBackgroundRemoval(client=SimulatedBedrockRuntime("fail=1")).remove_background(PHOTO)
    # Stability refuses in its own way: a filter finish reason in a 200 answer.
    simulator = SimulatedBedrockRuntime("fail=1")
    with pytest.raises(ModelRefusedError, match=r"content filter \(Filter reason: input image\)"):
        StabilityRemoveBackground(client=simulator).remove_background(PHOTO)
    assert (simulator.failed, simulator.succeeded) == (1, 0)
    with pytest.raises(
        ModelAccessError, match="amazon.nova-reel-v1:0 is not available in us-east-1"
    ):
        bedrock.invoke(
            SimulatedBedrockRuntime(""),
            model_id="amazon.nova-reel-v1:0",
            region="us-east-1",
            body={},
        )


def test_latency_sleeps_through_the_injected_sleep_scaled_by_time_scale():
    slept = []
    simulator = SimulatedBedrockRuntime("latency_ms=2000", time_scale=0.01, sleep=slept.append)
    TitanBackgroundRemoval(client=simulator).remove_background(PHOTO)
    assert slept == [pytest.approx(0.02)]
    throttled = SimulatedBedrockRuntime("latency_ms=2000,throttle=1", sleep=slept.append)
    with pytest.raises(ModelThrottledError):
        TitanBackgroundRemoval(client=throttled).remove_background(PHOTO)
    assert len(slept) == 1  # a throttled call is refused at once


def test_rpm_quota_with_a_fake_clock():
    now = [0.0]
    simulator = SimulatedBedrockRuntime("rpm=120", clock=lambda: now[0], sleep=lambda _: None)
    model = TitanBackgroundRemoval(client=simulator)
    for _ in range(2):  # 120 a minute = 2 a second, one second of burst
        model.remove_background(PHOTO)
    with pytest.raises(ModelThrottledError):
        model.remove_background(PHOTO)
    now[0] = 0.5  # half a second refills one request
    model.remove_background(PHOTO)
    with pytest.raises(ModelThrottledError):
        model.remove_background(PHOTO)
    now[0] = 60.5  # a long pause refills only up to the burst
    for _ in range(2):
        model.remove_background(PHOTO)
    with pytest.raises(ModelThrottledError):
        model.remove_background(PHOTO)
    assert (simulator.succeeded, simulator.throttled) == (5, 3)


def test_rpm_over_a_simulated_minute_lets_through_about_the_quota():
    now = [0.0]
    simulator = SimulatedBedrockRuntime("rpm=600", clock=lambda: now[0])
    tiny = titan_body(Image.new("RGB", (4, 4)))
    for step in range(6000):  # 100 requests a second for a minute
        now[0] = step / 100
        outcome(simulator, tiny)
    assert 600 <= simulator.succeeded <= 610  # the quota plus one second of burst


def test_thread_safe_counters():
    simulator = SimulatedBedrockRuntime("throttle=0.5,seed=2")
    model = TitanBackgroundRemoval(client=simulator)

    def work():
        for _ in range(20):
            with contextlib.suppress(ModelThrottledError):
                model.remove_background(PHOTO)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert simulator.calls == 80 == simulator.succeeded + simulator.throttled
    alone = SimulatedBedrockRuntime("throttle=0.5,seed=2")
    sent = json.dumps(TitanBackgroundRemoval(client=alone).request_body(PHOTO))
    for _ in range(80):
        outcome(alone, sent)
    assert alone.throttled == simulator.throttled  # same draws, whatever the interleaving


def test_one_shared_simulator_per_spec_until_reset():
    simulated_bedrock.reset()
    first = simulated_bedrock.shared("throttle=0.1,seed=5")
    assert simulated_bedrock.shared("throttle=0.1,seed=5") is first
    assert simulated_bedrock.shared("throttle=0.1,seed=6") is not first
    assert simulated_bedrock.shared("throttle=0.1,seed=5", time_scale=0.5) is not first
    simulated_bedrock.reset()
    assert simulated_bedrock.shared("throttle=0.1,seed=5") is not first
    simulated_bedrock.reset()


def detailed(side: int) -> Image.Image:
    """A photo-like image that does not compress well: gradients plus grain."""
    import numpy as np

    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:side, 0:side]
    base = np.stack([x * 255 // side, y * 255 // side, (x + y) * 255 // (2 * side)], -1)
    grain = rng.integers(-40, 40, (side, side, 3))
    return Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8))


def test_a_body_over_invoke_models_limit_is_a_validation_exception():
    simulator = SimulatedBedrockRuntime("seed=1")
    padding = "x" * (bedrock.MAX_BODY_BYTES - len(titan_body(PHOTO)) + 1)
    oversized = titan_body(PHOTO)[:-2] + ', "pad": "' + padding[10:] + '"}'
    assert len(oversized) > bedrock.MAX_BODY_BYTES
    with pytest.raises(ClientError) as refused:
        simulator.invoke_model(modelId=TITAN, body=oversized)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "25000000" in refused.value.response["Error"]["Message"]
    assert simulator.rejected == 1


@pytest.mark.slow  # a 9-megapixel grainy image through PNG, JPEG and the simulator
def test_a_detailed_3072_copy_fits_as_jpeg_not_as_png():
    image = detailed(3072)
    simulator = SimulatedBedrockRuntime("seed=1")
    model = StabilityRemoveBackground(client=simulator)
    assert model.limits.input_format == "JPEG"
    as_png = {"image": bedrock.image_to_base64(image, "PNG"), "output_format": "png"}
    assert len(json.dumps(as_png)) > bedrock.MAX_BODY_BYTES
    with pytest.raises(ClientError, match="ValidationException"):
        simulator.invoke_model(modelId=model.model_id, body=json.dumps(as_png))
    mask = model.remove_background(image)  # the adapter's own JPEG body
    assert mask.size == image.size
