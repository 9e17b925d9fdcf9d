"""The stack's settings: ``cdk.json`` context validated against ``StackConfig``."""

import json
import re
from pathlib import Path

import pytest

from lambdas.errors import ConfigError
from workflow.config import APP_CONTEXT, StackConfig, workflow_settings

CDK_JSON = Path(__file__).resolve().parents[3] / "cdk.json"


def test_cdk_json_states_exactly_the_defaults():
    context = json.loads(CDK_JSON.read_text())["context"]
    settings = {key: value for key, value in context.items() if key not in APP_CONTEXT}
    defaults = StackConfig().model_dump(exclude={"memory_mb"})
    assert settings == defaults
    assert StackConfig.from_context(context) == StackConfig()


def test_context_strings_are_typed_and_an_empty_schedule_turns_it_off():
    config = StackConfig.from_context({"concurrency": "8", "schedule": "", "alarm_email": None})
    assert (config.concurrency, config.schedule, config.alarm_email) == (8, None, None)
    assert StackConfig.from_context({"schedule": None}).schedule == StackConfig().schedule


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"concurrencyy": 4}, "unknown context concurrencyy: the settings are model, region"),
        (
            {"concurrency": "0"},
            "context concurrency='0': Input should be greater than or equal to 1",
        ),
        (
            {"model": "local"},
            "choose a model the AWS engine runs: titan-v2, nova-canvas, stability",
        ),
    ],
)
def test_bad_context_is_refused_with_the_key(context, message):
    with pytest.raises(ConfigError, match=message):
        StackConfig.from_context(context)


def test_cdk_feature_flags_are_not_settings():
    assert StackConfig.from_context({"@aws-cdk/core:newStyleStackSynthesis": True}) == StackConfig()


def test_the_lambda_environment_comes_from_the_settings_model():
    env = StackConfig(model="titan-v2", concurrency=2).lambda_settings("bucket").environment()
    assert env == {
        "BGREMOVE_BUCKET": "bucket",
        "BGREMOVE_ENGINE": "aws",
        "BGREMOVE_MODEL": "titan-v2",
        "BGREMOVE_CONCURRENCY": "2",
        "BGREMOVE_URL_EXPIRY_SECONDS": "3600",
    }


def test_only_the_attempts_change_in_the_model_retry():
    default = workflow_settings(StackConfig()).model_throttling
    three = workflow_settings(StackConfig(model_max_attempts=3)).model_throttling
    assert three.max_attempts == 3
    assert {**vars(three), "max_attempts": 8} == vars(default)


def test_the_readme_quotes_the_defaults():
    """Each single-key row of README's configuration table gives that key's default."""
    readme = (CDK_JSON.parent / "README.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", readme, flags=re.MULTILINE)
    defaults = StackConfig().model_dump()
    quoted = {key: value for key, value in rows if key in defaults}
    assert set(quoted) >= {"model", "region", "concurrency", "url_expiry_seconds", "schedule"}
    assert quoted == {key: str(defaults[key]) for key in quoted}
