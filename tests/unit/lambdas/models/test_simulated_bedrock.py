import base64
import contextlib
import io
import json
import threading

import pytest
from botocore.exceptions import ClientError
from PIL import Image, ImageDraw

from lambdas.errors import ConfigError, ModelRefusedError, ModelThrottledError
from lambdas.models.simulated_bedrock import SimulatedBedrockRuntime, parse_spec
from lambdas.models.titan import TitanBackgroundRemoval

PHOTO = Image.new("RGB", (80, 60), (230, 230, 230))
ImageDraw.Draw(PHOTO).rectangle((25, 15, 55, 45), fill=(20, 40, 160))


def test_spec_parsing_and_errors():
    assert parse_spec("throttle=0.3, seed=7")["throttle"] == 0.3
    for bad, text in [
        ("thottle=0.1", "unknown key 'thottle'"),
        ("fail=2", "probability"),
        ("rpm=x", "number"),
        ("seed", "key=value"),
    ]:
        with pytest.raises(ConfigError, match=text):
            parse_spec(bad)


def test_answers_in_the_models_wire_format_with_a_plausible_mask():
    simulator = SimulatedBedrockRuntime("seed=1")
    mask = TitanBackgroundRemoval(client=simulator).remove_background(PHOTO)
    assert mask.getpixel((40, 30)) > 200 and mask.getpixel((2, 2)) < 30
    with pytest.raises(ClientError) as raised:
        simulator.invoke_model(
            modelId="amazon.titan-image-generator-v2:0", body=json.dumps({"image": "x"})
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_fault_rates_are_deterministic_per_seed_and_near_the_asked_rate():
    tiny = io.BytesIO()
    Image.new("RGB", (4, 4)).save(tiny, format="PNG")
    body = json.dumps(
        {
            "taskType": "BACKGROUND_REMOVAL",
            "backgroundRemovalParams": {"image": base64.b64encode(tiny.getvalue()).decode()},
        }
    )

    def run(seed):
        simulator = SimulatedBedrockRuntime(f"throttle=0.3,fail=0.1,seed={seed}")
        outcomes = []
        for _ in range(1000):
            try:
                simulator.invoke_model(modelId="amazon.titan-image-generator-v2:0", body=body)
                outcomes.append("ok")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
        return outcomes

    first, again, other = run(7), run(7), run(8)
    assert first == again and first != other
    assert 0.25 < first.count("ThrottlingException") / 1000 < 0.35
    assert 0.06 < first.count("ValidationException") / 1000 < 0.14


def test_faults_surface_as_the_adapters_errors():
    throttled = TitanBackgroundRemoval(client=SimulatedBedrockRuntime("throttle=1"))
    with pytest.raises(ModelThrottledError):
        throttled.remove_background(PHOTO)
    refused = TitanBackgroundRemoval(client=SimulatedBedrockRuntime("fail=1"))
    with pytest.raises(ModelRefusedError, match="content filter"):
        refused.remove_background(PHOTO)


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
