"""The bring-your-own ONNX matting model, on tiny models built with the onnx helper API."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image, ImageDraw

from lambdas.errors import ConfigError
from lambdas.models import get_model
from lambdas.models.onnx_matting import OnnxMattingModel
from lambdas.settings import Settings


def brightness_model(path, size, *, logits=True, extra_output=False, dtype=TensorProto.FLOAT):
    """A tiny matting model: the mean over channels (minus 0.5, times 8 → logits).

    With ``extra_output`` the graph also returns a side output first, as U²-Net does.
    """
    shape = [1, 3, size, size] if size else [1, 3, "h", "w"]
    out_shape = [1, 1, size, size] if size else [1, 1, "h", "w"]
    nodes = [helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1], keepdims=1)]
    if dtype != TensorProto.FLOAT:
        nodes.insert(0, helper.make_node("Cast", ["image16"], ["image"], to=TensorProto.FLOAT))
    if logits:
        nodes += [
            helper.make_node("Sub", ["mean", "half"], ["centred"]),
            helper.make_node("Mul", ["centred", "gain"], ["matte"]),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["mean"], ["matte"]))
    outputs = [helper.make_tensor_value_info("matte", TensorProto.FLOAT, out_shape)]
    if extra_output:
        nodes.append(helper.make_node("Neg", ["mean"], ["side"]))
        outputs.insert(0, helper.make_tensor_value_info("side", TensorProto.FLOAT, out_shape))
    input_name = "image" if dtype == TensorProto.FLOAT else "image16"
    graph = helper.make_graph(
        nodes,
        "brightness",
        [helper.make_tensor_value_info(input_name, dtype, shape)],
        outputs,
        [
            helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
            helper.make_tensor("gain", TensorProto.FLOAT, [], [8.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return str(path)


def photo():
    image = Image.new("RGB", (120, 80), (10, 10, 10))
    ImageDraw.Draw(image).rectangle((40, 20, 80, 60), fill=(250, 250, 250))
    return image


def assert_bright_square_is_subject(mask):
    values = np.asarray(mask)
    assert mask.mode == "L" and mask.size == (120, 80)
    assert values[40, 60] > 200 and values[5, 5] < 50


def test_fixed_size_model_gives_a_soft_mask_at_the_image_size(tmp_path):
    model = get_model("onnx", model_path=brightness_model(tmp_path / "m.onnx", 32))
    assert model.size == (32, 32)
    assert_bright_square_is_subject(model.remove_background(photo()))


def test_probabilities_are_stretched_and_logits_go_through_a_sigmoid(tmp_path):
    # Thirds of dark (10), light grey (191) and white (250): the grey third tells a
    # linear stretch (≈ 192) from a sigmoid of logits (≈ 228).
    image = Image.new("RGB", (96, 32), (10, 10, 10))
    image.paste((191, 191, 191), (32, 0, 64, 32))
    image.paste((250, 250, 250), (64, 0, 96, 32))
    probabilities = OnnxMattingModel(
        brightness_model(tmp_path / "p.onnx", 32, logits=False), normalize="unit"
    )
    grey = np.asarray(probabilities.remove_background(image))[16, 48]
    assert 188 <= grey <= 196  # a sigmoid here would give 198
    logits = OnnxMattingModel(brightness_model(tmp_path / "l.onnx", 32), normalize="unit")
    assert np.asarray(logits.remove_background(image))[16, 48] > 215


def test_dynamic_model_needs_an_input_size(tmp_path):
    path = brightness_model(tmp_path / "d.onnx", None)
    with pytest.raises(ConfigError, match="dynamic input size"):
        OnnxMattingModel(path)
    model = get_model("onnx", model_path=path, onnx_input_size="48")
    assert model.size == (48, 48)
    assert_bright_square_is_subject(model.remove_background(photo()))
    with pytest.raises(ConfigError, match="whole number"):
        get_model("onnx", model_path=path, onnx_input_size="big")


def test_the_named_output_is_used_and_an_unknown_one_refused(tmp_path):
    path = brightness_model(tmp_path / "two.onnx", 32, extra_output=True)
    first = OnnxMattingModel(path)
    assert first.output == "side"  # the first output, by default
    # "side" is the negated brightness: the dark background comes out as the subject.
    assert np.asarray(first.remove_background(photo()))[5, 5] > 200
    named = get_model("onnx", model_path=path, onnx_output="matte")
    assert_bright_square_is_subject(named.remove_background(photo()))
    with pytest.raises(ConfigError, match="no output 'alpha'; it has side, matte"):
        OnnxMattingModel(path, output="alpha")


def test_a_float16_input_is_fed_float16(tmp_path):
    model = OnnxMattingModel(brightness_model(tmp_path / "h.onnx", 32, dtype=TensorProto.FLOAT16))
    assert model.input_dtype == np.float16
    assert_bright_square_is_subject(model.remove_background(photo()))


def test_normalisation_from_config_changes_the_cache_key(tmp_path):
    path = brightness_model(tmp_path / "n.onnx", 32)
    imagenet = OnnxMattingModel(path).cache_params()
    custom = get_model("onnx", model_path=path, onnx_normalize="0.5,0.5,0.5/0.5,0.5,0.5")
    assert custom.cache_params()["mean"] == [0.5, 0.5, 0.5]
    assert custom.cache_params() != imagenet
    assert imagenet["sha256"] == custom.cache_params()["sha256"]
    for bad, text in [("zscore", "unknown ONNX normalisation"), ("1,2/3,4", "three means")]:
        with pytest.raises(ConfigError, match=text):
            OnnxMattingModel(path, normalize=bad)


def test_missing_unloadable_and_wrong_shaped_models(tmp_path, monkeypatch):
    with pytest.raises(
        ConfigError, match=r"needs a model file: give --model-path \(or BGREMOVE_MODEL_PATH\)"
    ):
        get_model("onnx")
    with pytest.raises(ConfigError, match="does not exist"):
        get_model("onnx", model_path=str(tmp_path / "none.onnx"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="not an ONNX model"):
        OnnxMattingModel(str(junk))
    grey = helper.make_graph(
        [helper.make_node("Identity", ["image"], ["matte"])],
        "grey",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("matte", TensorProto.FLOAT, [1, 1, 8, 8])],
    )
    model = helper.make_model(grey, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "grey.onnx")
    with pytest.raises(ConfigError, match=r"NCHW RGB image \(1, 3, H, W\)"):
        OnnxMattingModel(str(tmp_path / "grey.onnx"))


def test_the_model_file_and_options_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BGREMOVE_MODEL_PATH", brightness_model(tmp_path / "e.onnx", 32))
    monkeypatch.setenv("BGREMOVE_ONNX_NORMALIZE", "unit")
    options = Settings.from_env().with_options({"model": "onnx"}).model_options()
    assert options["onnx_normalize"] == "unit"
    assert_bright_square_is_subject(get_model("onnx", **options).remove_background(photo()))


def test_rembgs_way_is_pinned_not_guessed(tmp_path):
    """``sigmoid`` forces or forbids the sigmoid (rembg: BiRefNet yes, U²-Net/IS-Net no);
    ``divide_by_max`` scales by the image's own maximum, as rembg does.
    """
    image = Image.new("RGB", (96, 32), (10, 10, 10))
    image.paste((191, 191, 191), (32, 0, 64, 32))
    image.paste((250, 250, 250), (64, 0, 96, 32))
    probabilities = brightness_model(tmp_path / "p.onnx", 32, logits=False)
    forced = OnnxMattingModel(probabilities, normalize="unit", sigmoid=True)
    assert np.asarray(forced.remove_background(image))[16, 48] >= 197  # a sigmoid, stretched
    logits = brightness_model(tmp_path / "l.onnx", 32)
    linear = OnnxMattingModel(logits, normalize="unit", sigmoid=False)
    assert 188 <= np.asarray(linear.remove_background(image))[16, 48] <= 196
    # A dim photo (max 125): by its maximum the grey third's logit is 8 * (95/125 - 0.5),
    # by 255 it is 8 * (95/255 - 0.5): only the first is clearly subject after a sigmoid.
    dim = Image.new("RGB", (96, 32), (5, 5, 5))
    dim.paste((95, 95, 95), (32, 0, 64, 32))
    dim.paste((125, 125, 125), (64, 0, 96, 32))
    by_max = OnnxMattingModel(logits, normalize="unit", sigmoid=True, divide_by_max=True)
    by_255 = OnnxMattingModel(logits, normalize="unit", sigmoid=True)
    assert by_max.cache_params() != by_255.cache_params()
    grey_by_max = int(np.asarray(by_max.remove_background(dim))[16, 48])
    grey_by_255 = int(np.asarray(by_255.remove_background(dim))[16, 48])
    assert grey_by_max > 200 and grey_by_255 < 160
    with pytest.raises(ConfigError, match="unknown resampling"):
        OnnxMattingModel(logits, resample="cubic")
