"""Background-removal models behind one interface (see ``base.BackgroundModel``).

The registry of models is ``lambdas.models.catalog.CATALOG``: each entry names the
factory (``lambdas.models.factories``) that makes it, with its defaults and options.
"""

from __future__ import annotations

from typing import Any

from lambdas.errors import ModelUnusableError
from lambdas.models.base import BackgroundModel, ModelLimits

__all__ = ["BackgroundModel", "ModelLimits", "get_model", "model_names"]


def model_names() -> list[str]:
    """Return the names accepted by ``--model`` (every model in the registry)."""
    from lambdas.models.catalog import CATALOG

    return sorted(CATALOG)


def get_model(name: str, **options: Any) -> BackgroundModel:
    """Return the model called ``name``, made by its registry entry's factory.

    Raises
    ------
    ModelUnusableError
        If no model has that name, or a pretrained model's weights cannot be had.
    """
    from lambdas.models.catalog import CATALOG

    try:
        facts = CATALOG[name]
    except KeyError:
        raise ModelUnusableError.unknown(name, CATALOG) from None
    return facts.factory(facts, **options)
