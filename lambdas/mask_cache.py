"""The result cache: a model's mask, keyed by exactly what determines it.

The key is the model's name and parameters plus the sha256 of the exact bytes the
model is sent, so a re-run of the same batch calls the model zero times, and any
change to the model, its settings or the resize makes a new key.
"""

from __future__ import annotations

import hashlib
import json

from lambdas import layout
from lambdas.models.base import BackgroundModel


def cache_key(model: BackgroundModel, model_input: bytes, *, simulated: bool = False) -> str:
    """The mask's key. A simulated Bedrock's masks get keys of their own: a rehearsal
    must never answer for the real model later.
    """
    params = {"model": model.name, **model.cache_params()}
    if simulated:
        params["simulated"] = True
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    digest.update(hashlib.sha256(model_input).digest())
    return layout.cache_key(model.name, digest.hexdigest())
