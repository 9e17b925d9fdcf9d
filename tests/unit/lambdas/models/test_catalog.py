"""The model facts other parts rely on."""

import pytest

from lambdas.models import get_model, model_names
from lambdas.models.catalog import BEDROCK_MODELS, CATALOG, suggested_concurrency


def test_every_model_has_facts_and_every_bedrock_model_an_adapter_with_those_limits():
    assert sorted(CATALOG) == model_names()
    for name in BEDROCK_MODELS:
        model = get_model(name, client="unused")
        assert model.model_id == CATALOG[name].model_id
        assert model.limits == CATALOG[name].limits
        assert model.cache_params()["model_id"] == CATALOG[name].model_id


def test_limits_match_the_models_documented_ones():
    titan, stability = CATALOG["titan-v2"].limits, CATALOG["stability"].limits
    assert titan.max_side == 1408 and titan.aspect_range == (5 / 11, 11 / 5)
    assert CATALOG["nova-canvas"].limits == titan
    assert stability.min_side == 64 and stability.max_pixels == 9_437_184
    assert stability.aspect_range == (0.4, 2.5)


def test_suggested_concurrency_keeps_a_quota_busy():
    assert suggested_concurrency(600, 2.0) == 20  # 10 calls a second, 2 s each
    assert suggested_concurrency(60, 0.5) == 1
    with pytest.raises(ValueError):
        suggested_concurrency(0, 2.0)


def test_every_bedrock_model_is_sent_jpeg():
    for name in BEDROCK_MODELS:
        assert CATALOG[name].limits.input_format == "JPEG", name
