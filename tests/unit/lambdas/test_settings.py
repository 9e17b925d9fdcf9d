"""The settings model: one home for every default, read from and written to ``BGREMOVE_*``."""

import pytest

from lambdas.errors import ConfigError
from lambdas.settings import ENV_PREFIX, Settings, aws_region, env_names


def test_every_field_but_output_options_has_one_variable():
    names = env_names()
    assert set(names) == set(Settings.model_fields) - {"output_options"}
    assert all(variable == ENV_PREFIX + name.upper() for name, variable in names.items())


def test_environment_round_trips_what_was_set_and_nothing_else():
    settings = Settings(
        bucket="b", engine="local", concurrency=3, input_prefix="", local_cache=None
    )
    env = settings.environment()
    assert env == {
        "BGREMOVE_BUCKET": "b",
        "BGREMOVE_ENGINE": "local",
        "BGREMOVE_CONCURRENCY": "3",
        "BGREMOVE_INPUT_PREFIX": "",
        "BGREMOVE_LOCAL_CACHE": "",
    }
    assert Settings.from_env(env) == settings.model_copy()


def test_an_empty_variable_is_unset_but_an_empty_prefix_is_a_prefix():
    settings = Settings.from_env({"BGREMOVE_CONCURRENCY": "", "BGREMOVE_INPUT_PREFIX": ""})
    assert settings.concurrency is None
    assert settings.input_prefix == ""
    assert Settings.from_env({}).input_prefix == Settings().input_prefix == "inputs/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BGREMOVE_CONCURRENCY": "many"}, "concurrency must be a whole number, not 'many'"),
        ({"BGREMOVE_CONCURRENCY": "0"}, "concurrency must be between 1 and 10000, not 0"),
        ({"BGREMOVE_OUTPUT_FORMAT": "gif"}, "format 'gif' is not supported: use png, webp, jpeg"),
        ({"BGREMOVE_ENGINE": "gpu"}, "engine 'gpu' is not one of: 'aws' or 'local'"),
        ({"BGREMOVE_TIME_SCALE": "fast"}, "time_scale must be a number, not 'fast'"),
        (
            {"BGREMOVE_URL_EXPIRY_SECONDS": "604801"},
            "url_expiry_seconds must be between 1 and 604800 (7 days), not 604801",
        ),
    ],
)
def test_bad_values_are_refused_in_our_words(env, message):
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert str(raised.value) == message


def test_options_apply_on_top_and_keep_what_was_set():
    base = Settings.from_env({"BGREMOVE_BUCKET": "b", "BGREMOVE_ENGINE": "local"})
    changed = base.with_options(
        {"model": "onnx", "format": "JPG", "concurrency": "2", "onnx_input_size": "320"}
    )
    assert (changed.bucket, changed.engine, changed.output_format) == ("b", "local", "jpeg")
    assert (changed.concurrency, changed.onnx_input_size) == (2, 320)
    assert changed.model_options() == {"onnx_input_size": "320"}
    assert changed.environment()["BGREMOVE_MODEL"] == "onnx"
    with pytest.raises(ConfigError, match="concurrency must be a whole number, not 'x'"):
        base.with_options({"concurrency": "x"})


def test_settings_are_frozen():
    with pytest.raises(ValueError):
        Settings().model = "titan-v2"  # type: ignore[misc]


def test_region_comes_from_lambda_then_the_cli_then_the_default():
    assert aws_region({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}) == "eu-west-1"
    assert aws_region({"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"
    assert aws_region({}) == "us-east-1"
