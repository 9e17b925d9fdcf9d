from datetime import date

import boto3
import numpy as np
import onnx
import pytest
from botocore.stub import Stubber
from onnx import TensorProto, helper
from PIL import Image, ImageDraw

from lambdas.errors import ConfigError, ModelUnusableError
from lambdas.models import get_model
from lambdas.models.preflight import preflight


def brightness_model(path, size):
    """A tiny matting model: mean over channels, minus 0.5, times 8 → logits."""
    shape = [1, 3, size, size] if size else [1, 3, "h", "w"]
    out_shape = [1, 1, size, size] if size else [1, 1, "h", "w"]
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["mean", "half"], ["centred"]),
        helper.make_node("Mul", ["centred", "gain"], ["matte"]),
    ]
    graph = helper.make_graph(
        nodes,
        "brightness",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("matte", TensorProto.FLOAT, out_shape)],
        [
            helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
            helper.make_tensor("gain", TensorProto.FLOAT, [], [8.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def photo():
    image = Image.new("RGB", (120, 80), (10, 10, 10))
    ImageDraw.Draw(image).rectangle((40, 20, 80, 60), fill=(250, 250, 250))
    return image


def test_fixed_size_model_gives_a_soft_mask_at_the_image_size(tmp_path):
    model = get_model("onnx", model_path=str(brightness_model(tmp_path / "m.onnx", 32)))
    mask = model.remove_background(photo())
    assert mask.mode == "L" and mask.size == (120, 80)
    values = np.asarray(mask)
    assert values[40, 60] > 200 and values[5, 5] < 50
    assert model.cache_params()["size"] == [32, 32]


def test_dynamic_model_needs_an_input_size(tmp_path):
    from lambdas.models.onnx_matting import OnnxMattingModel

    path = str(brightness_model(tmp_path / "d.onnx", None))
    with pytest.raises(ConfigError, match="dynamic input size"):
        OnnxMattingModel(path)
    assert OnnxMattingModel(path, input_size=48).remove_background(photo()).size == (120, 80)


def test_missing_model_file(tmp_path):
    with pytest.raises(ConfigError, match="needs a model file"):
        get_model("onnx")
    with pytest.raises(ConfigError, match="does not exist"):
        get_model("onnx", model_path=str(tmp_path / "none.onnx"))


@pytest.fixture
def bedrock():
    client = boto3.client("bedrock", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber


def lifecycle(status):
    return {
        "modelDetails": {"modelArn": "arn", "modelId": "x", "modelLifecycle": {"status": status}}
    }


def test_active_model_passes(bedrock):
    client, stubber = bedrock
    stubber.add_response(
        "get_foundation_model",
        lifecycle("ACTIVE"),
        {"modelIdentifier": "stability.stable-image-remove-background-v1:0"},
    )
    result = preflight(
        "stability", region="us-east-1", bedrock_client=client, today=date(2026, 11, 24)
    )
    assert result.status == "ACTIVE" and not result.warnings


def test_legacy_model_warns_with_alternatives(bedrock):
    client, stubber = bedrock
    stubber.add_response("get_foundation_model", lifecycle("LEGACY"), None)
    result = preflight(
        "nova-canvas", region="us-east-1", bedrock_client=client, today=date(2026, 11, 24)
    )
    assert "Legacy" in result.warnings[0] and "--model stability" in result.warnings[0]


def test_past_end_of_life_stops_before_asking_aws():
    with pytest.raises(ModelUnusableError, match="end of life on 2026-06-30.*--model stability"):
        preflight("titan-v2", region="us-east-1", today=date(2026, 11, 24))
    assert preflight("titan-v2", region="us-east-1", today=date(2026, 1, 1)).warnings


def test_eol_status_and_no_access_and_region(bedrock):
    client, stubber = bedrock
    stubber.add_response("get_foundation_model", lifecycle("EOL"), None)
    with pytest.raises(ModelUnusableError, match="end of life"):
        preflight("stability", region="us-east-1", bedrock_client=client)
    stubber.add_client_error("get_foundation_model", "AccessDeniedException")
    with pytest.raises(ModelUnusableError, match="no access to us.stability"):
        preflight("stability", region="us-east-1", bedrock_client=client)
    with pytest.raises(ModelUnusableError, match="not offered in eu-central-1"):
        preflight("stability", region="eu-central-1")


def test_offline_models_need_no_aws():
    assert preflight("local", region="anywhere").status == "ACTIVE"
