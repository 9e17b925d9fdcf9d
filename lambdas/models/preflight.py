"""Before any fan-out: can this model be used, here, now?

In order, cheapest first:

1. the catalog: is the model offered in the region, and is its known end-of-life
   date past? (no AWS call; ``local`` and ``onnx`` always pass here; a pretrained
   model's weights are fetched on first use and verified here, so a machine that
   cannot fetch them is refused before any work);
2. ``GetFoundationModel``: AWS's lifecycle status and end-of-life date, which win
   over the catalog's; an ``AccessDeniedException`` means the model is not usable;
3. ``GetFoundationModelAvailability``: whether the account is authorised for the
   model. Only a definite ``NOT_AUTHORIZED`` stops the run; an entitlement or
   agreement that is not in place yet only warns, because Bedrock enables models
   (and subscribes to third-party ones) on their first call when the role may.

A Legacy model warns with its end-of-life date; an end-of-life, unavailable or
inaccessible model raises ``ModelUnusableError`` naming the models that would work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.errors import ModelUnusableError
from lambdas.models.catalog import BEDROCK_MODELS, CATALOG, ModelFacts

if TYPE_CHECKING:
    from mypy_boto3_bedrock import BedrockClient

_TRANSIENT = {"ThrottlingException", "InternalServerException", "ServiceUnavailableException"}


@dataclass
class PreflightResult:
    """A model that may be used; ``warnings`` say what the user should know.

    Attributes
    ----------
    ok
        Always true: an unusable model raises instead.
    status
        ``ACTIVE`` or ``LEGACY`` (AWS's answer when asked, else the catalog's).
    eol_date
        The end-of-life date, if one is known.
    alternatives
        Names of the other models that work in the region.
    """

    model: str
    model_id: str | None
    status: str
    warnings: list[str] = field(default_factory=list)
    eol_date: date | None = None
    alternatives: list[str] = field(default_factory=list)
    ok: bool = True


def _ended(end_of_life: date | None, today: date) -> bool:
    return end_of_life is not None and end_of_life <= today


def usable_alternatives(excluding: str, region: str, today: date) -> list[str]:
    """Bedrock models offered in ``region`` and not past end of life (active first), then local."""
    names = [
        name
        for name in BEDROCK_MODELS
        if name != excluding
        and region in CATALOG[name].regions
        and not _ended(CATALOG[name].end_of_life, today)
    ]
    names.sort(key=lambda name: CATALOG[name].lifecycle != "ACTIVE")
    return [*names, "local"]


def alternatives(excluding: str, region: str, today: date) -> str:
    """``"--model stability (us.stability…) or --model local (offline)"``."""
    return " or ".join(
        f"--model {name} ({CATALOG[name].model_id or 'offline'})"
        for name in usable_alternatives(excluding, region, today)
    )


def preflight(
    model: str,
    *,
    region: str,
    bedrock_client: BedrockClient | None = None,
    today: date | None = None,
) -> PreflightResult:
    """Check ``model`` can run in ``region``.

    Parameters
    ----------
    bedrock_client
        A Bedrock control-plane client (``boto3.client("bedrock")``); without one
        only the catalog is consulted (simulated runs, offline checks).
    today
        For tests; default ``date.today()``.

    Raises
    ------
    ModelUnusableError
        Unknown model, unsupported region, end of life, no access, or Bedrock
        cannot be reached to check.
    """
    today = today or date.today()
    if model not in CATALOG:
        raise ModelUnusableError.unknown(model, CATALOG)
    facts = CATALOG[model]
    if facts.weights is not None:
        # A pretrained model is usable when its weights are here, verified: fetched now
        # on first use, so an offline machine is refused before any work.
        from lambdas.models.pretrained import ensure_weights

        ensure_weights(model, facts.weights)
    if facts.model_id is None:
        return PreflightResult(model=model, model_id=None, status="ACTIVE")
    instead = alternatives(model, region, today)
    result = PreflightResult(
        model=model,
        model_id=facts.model_id,
        status=facts.lifecycle,
        eol_date=facts.end_of_life,
        alternatives=usable_alternatives(model, region, today),
    )
    if region not in facts.regions:
        raise ModelUnusableError(
            f"{facts.model_id} is not offered in {region} (it is in {', '.join(facts.regions)}): "
            f"use one of those regions, or {instead}"
        )
    _stop_if_past_end_of_life(facts, result.eol_date, today, instead, "bgremove's model catalog")
    if bedrock_client is not None:
        _ask_lifecycle(bedrock_client, facts, region, instead, result)
        _stop_if_past_end_of_life(facts, result.eol_date, today, instead, "AWS")
        _ask_access(bedrock_client, facts, region, instead, result)
    if result.status == "LEGACY":
        when = f" on {result.eol_date:%Y-%m-%d}" if result.eol_date else " (date not announced)"
        result.warnings.insert(
            0,
            f"{facts.model_id} is a Legacy model and reaches its end of life{when}: "
            f"move to {instead}",
        )
    return result


def _stop_if_past_end_of_life(
    facts: ModelFacts, eol: date | None, today: date, instead: str, source: str
) -> None:
    if eol and eol <= today:
        raise ModelUnusableError(
            f"{facts.model_id} reached its end of life on {eol:%Y-%m-%d} (per {source}): "
            f"use {instead}"
        )


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _ask_lifecycle(
    client: BedrockClient, facts: ModelFacts, region: str, instead: str, result: PreflightResult
) -> None:
    """Update ``result`` from ``GetFoundationModel`` (the base model of a profile)."""
    try:
        details = client.get_foundation_model(modelIdentifier=_foundation_id(facts))["modelDetails"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "AccessDeniedException":
            raise ModelUnusableError(
                f"no access to {facts.model_id} in {region}: the role may not read it "
                f"(bedrock:GetFoundationModel) or model access is not enabled in the Bedrock "
                f"console (Model access) ({message}); or use {instead}"
            ) from None
        if code in ("ResourceNotFoundException", "ValidationException"):
            raise ModelUnusableError(
                f"{facts.model_id} is not available in {region} ({message}): use {instead}"
            ) from None
        if code in _TRANSIENT:
            result.warnings.append(
                f"could not check {facts.model_id}'s lifecycle ({code}); "
                f"going by bgremove's catalog: {facts.lifecycle}"
            )
            return
        raise
    except BotoCoreError as error:
        raise ModelUnusableError(f"cannot reach Bedrock in {region} to check it: {error}") from None
    lifecycle: dict[str, Any] = dict(details.get("modelLifecycle") or {})
    result.status = lifecycle.get("status") or result.status
    result.eol_date = _as_date(lifecycle.get("endOfLifeTime")) or result.eol_date


def _foundation_id(facts: ModelFacts) -> str:
    assert facts.foundation_model_id is not None, f"{facts.name} is not a Bedrock model"
    return facts.foundation_model_id


def _ask_access(
    client: BedrockClient, facts: ModelFacts, region: str, instead: str, result: PreflightResult
) -> None:
    """Add to ``result`` (or stop) from ``GetFoundationModelAvailability``."""
    try:
        answer = client.get_foundation_model_availability(modelId=_foundation_id(facts))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        result.warnings.append(
            f"could not check model access for {facts.model_id} ({code}); if it is not "
            "enabled, the first call fails with 'model access not enabled'"
        )
        return
    except BotoCoreError:
        return  # GetFoundationModel just answered; the first call will tell
    if answer.get("authorizationStatus") == "NOT_AUTHORIZED":
        raise ModelUnusableError(
            f"model access not enabled for {facts.model_id} in {region}: enable it in the "
            f"Bedrock console (Model access) or check the role's bedrock:InvokeModel "
            f"permission; or use {instead}"
        )
    # A profile routes to other regions, so the base model's own region does not matter.
    if answer.get("regionAvailability") == "NOT_AVAILABLE" and not facts.profile_regions:
        raise ModelUnusableError(f"{facts.model_id} is not available in {region}: use {instead}")
    entitlement = answer.get("entitlementAvailability")
    agreement = (answer.get("agreementAvailability") or {}).get("status")
    if entitlement == "NOT_AVAILABLE" or agreement not in (None, "AVAILABLE"):
        result.warnings.append(
            f"{facts.model_id} is not enabled for this account yet (entitlement {entitlement}, "
            f"agreement {agreement}): the first call enables it if the role may subscribe "
            "(aws-marketplace:Subscribe); otherwise enable it in the Bedrock console"
        )
