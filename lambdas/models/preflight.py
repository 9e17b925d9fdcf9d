"""Before any fan-out: can this model be used, here, now?

Checks the region against the catalog, then asks Bedrock's control plane
(``GetFoundationModel``) for access and lifecycle. A Legacy model warns with its
end-of-life date; an end-of-life, unavailable or inaccessible model stops the run
and names the models that would work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.errors import ModelUnusableError
from lambdas.models.catalog import BEDROCK_MODELS, CATALOG


@dataclass
class PreflightResult:
    model: str
    model_id: str | None
    status: str
    warnings: list[str] = field(default_factory=list)


def alternatives(excluding: str, region: str, today: date) -> str:
    usable = [
        f"--model {name} ({CATALOG[name].model_id})"
        for name in BEDROCK_MODELS
        if name != excluding
        and region in CATALOG[name].regions
        and not (CATALOG[name].end_of_life and CATALOG[name].end_of_life <= today)
    ]
    return " or ".join([*usable, "--model local (offline)"])


def preflight(
    model: str, *, region: str, bedrock_client: Any = None, today: date | None = None
) -> PreflightResult:
    """Check ``model`` can run in ``region``.

    Raises
    ------
    ModelUnusableError
        Unknown model, unsupported region, end of life, or no access.
    """
    today = today or date.today()
    if model not in CATALOG:
        raise ModelUnusableError(f"unknown model {model!r}: choose one of {', '.join(CATALOG)}")
    facts = CATALOG[model]
    if facts.model_id is None:
        return PreflightResult(model=model, model_id=None, status="ACTIVE")
    instead = alternatives(model, region, today)
    if region not in facts.regions:
        raise ModelUnusableError(
            f"{facts.model_id} is not offered in {region} (it is in {', '.join(facts.regions)}): "
            f"use one of those regions, or {instead}"
        )
    if facts.end_of_life and facts.end_of_life <= today:
        raise ModelUnusableError(
            f"{facts.model_id} reached its end of life on {facts.end_of_life:%Y-%m-%d}: use {instead}"
        )
    status = facts.lifecycle
    if bedrock_client is not None:
        try:
            details = bedrock_client.get_foundation_model(
                modelIdentifier=facts.foundation_model_id
            )["modelDetails"]
            status = details.get("modelLifecycle", {}).get("status", status)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("AccessDeniedException", "ResourceNotFoundException"):
                raise ModelUnusableError(
                    f"no access to {facts.model_id} in {region} ({code}): enable it in the Bedrock "
                    f"console (Model access), or use {instead}"
                ) from None
            raise
        except BotoCoreError as error:
            raise ModelUnusableError(f"cannot reach Bedrock in {region}: {error}") from None
    if status == "EOL":
        raise ModelUnusableError(f"{facts.model_id} has reached its end of life: use {instead}")
    result = PreflightResult(model=model, model_id=facts.model_id, status=status)
    if status == "LEGACY":
        when = f" on {facts.end_of_life:%Y-%m-%d}" if facts.end_of_life else ""
        result.warnings.append(
            f"{facts.model_id} is a Legacy model and reaches its end of life{when or ' soon'}: "
            f"move to {instead}"
        )
    return result
