from lambdas import mask_cache
from lambdas.models import get_model


def test_a_rehearsal_s_masks_never_answer_for_the_real_model():
    model = get_model("local")
    real = mask_cache.cache_key(model, b"pixels")
    rehearsed = mask_cache.cache_key(model, b"pixels", simulated=True)
    assert real != rehearsed
    assert real == mask_cache.cache_key(model, b"pixels")
    assert real.startswith("cache/local/") and rehearsed.startswith("cache/local/")
    assert real != mask_cache.cache_key(model, b"other pixels")
