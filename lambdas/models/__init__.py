"""Background-removal models behind one interface (see ``base.BackgroundModel``)."""

from __future__ import annotations

from lambdas.errors import ModelUnusableError
from lambdas.models.base import BackgroundModel, ModelLimits

__all__ = ["BackgroundModel", "ModelLimits", "get_model", "model_names"]


def _local(**options) -> BackgroundModel:
    from lambdas.models.local import LocalModel

    return LocalModel(**options)


# Factories import lazily so a run pays only for the model it uses.
_FACTORIES = {
    "local": _local,
}


def model_names() -> list[str]:
    """Return the names accepted by ``--model``."""
    return sorted(_FACTORIES)


def get_model(name: str, **options) -> BackgroundModel:
    """Return the model called ``name``.

    Raises
    ------
    ModelUnusableError
        If no model has that name.
    """
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ModelUnusableError(
            f"unknown model {name!r}: choose one of {', '.join(model_names())}"
        ) from None
    return factory(**options)
