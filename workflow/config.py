"""The deployed stack's settings, read from ``cdk.json`` context (``-c key=value`` overrides).

Every value has a default a new user can deploy with; README "Deploy to AWS" lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lambdas.models.catalog import AWS_MODELS, CATALOG
from workflow.definition import RetryPolicy, WorkflowSettings

#: Memory (MB) per function: a 24 MP image decoded to RGBA is ~100 MB, twice over in Store.
MEMORY_MB = {
    "plan": 512,
    "validate": 1024,
    "resize": 2048,
    "remove_background": 1024,
    "store": 3008,
    "record_failure": 256,
    "report": 1024,
}
TIMEOUT_SECONDS = {
    "plan": 300,
    "validate": 60,
    "resize": 120,
    "remove_background": 180,
    "store": 180,
    "record_failure": 30,
    "report": 600,
}


@dataclass(frozen=True)
class StackConfig:
    model: str = "stability"
    region: str = "us-east-1"
    concurrency: int = 4
    url_expiry_seconds: int = 3600
    schedule: str | None = "cron(0 2 * * ? *)"  # nightly at 02:00 UTC; None = no schedule
    work_expiry_days: int = 1
    cache_expiry_days: int = 90
    output_expiry_days: int | None = None  # None = keep cutouts
    log_retention_days: int = 30
    alarm_email: str | None = None
    model_max_attempts: int = 8
    memory_mb: dict[str, int] = field(default_factory=lambda: dict(MEMORY_MB))

    @classmethod
    def from_context(cls, get: Any) -> StackConfig:
        """``get`` is ``app.node.try_get_context``."""
        defaults = cls()
        model = get("model") or defaults.model
        if model not in CATALOG or "aws" not in CATALOG[model].engines:
            raise ValueError(
                f"context model={model!r}: choose a model the AWS engine runs: "
                f"{', '.join(AWS_MODELS)}"
            )

        def number(key: str, default: int | None) -> int | None:
            value = get(key)
            return default if value in (None, "") else int(value)

        schedule = get("schedule")
        return cls(
            model=model,
            region=get("region") or defaults.region,
            concurrency=number("concurrency", defaults.concurrency),
            url_expiry_seconds=number("url_expiry_seconds", defaults.url_expiry_seconds),
            schedule=defaults.schedule if schedule is None else (schedule or None),
            work_expiry_days=number("work_expiry_days", defaults.work_expiry_days),
            cache_expiry_days=number("cache_expiry_days", defaults.cache_expiry_days),
            output_expiry_days=number("output_expiry_days", defaults.output_expiry_days),
            log_retention_days=number("log_retention_days", defaults.log_retention_days),
            alarm_email=get("alarm_email") or None,
            model_max_attempts=number("model_max_attempts", defaults.model_max_attempts),
        )


def workflow_settings(config: StackConfig) -> WorkflowSettings:
    """The definition's numbers for the deployed stack: one place for both workflows."""
    return WorkflowSettings(
        default_concurrency=config.concurrency,
        model_throttling=RetryPolicy(2, 2.0, config.model_max_attempts, 60, True),
    )
