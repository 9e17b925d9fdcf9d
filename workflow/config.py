"""The deployed stack's settings, read from ``cdk.json`` context (``-c key=value`` overrides).

Every value has a default a new user can deploy with; README "Deploy to AWS" lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lambdas.errors import ConfigError
from lambdas.models.catalog import AWS_MODELS, CATALOG
from lambdas.settings import (
    DEFAULT_REGION,
    MAX_CONCURRENCY,
    MAX_URL_EXPIRY_SECONDS,
    Settings,
)
from workflow.definition import WorkflowSettings

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


#: Context keys the app reads that are not settings of the stack itself.
APP_CONTEXT = ("bundle_dependencies", "stack_name")


class StackConfig(BaseModel):
    """The deployed stack's settings; each field is a ``cdk.json`` context key.

    ``cdk.json`` repeats the defaults so a user sees what they can change; a test keeps
    the two equal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = "stability"
    region: str = DEFAULT_REGION
    concurrency: int = Field(4, ge=1, le=MAX_CONCURRENCY)
    url_expiry_seconds: int = Field(3600, ge=1, le=MAX_URL_EXPIRY_SECONDS)
    schedule: str | None = "cron(0 2 * * ? *)"  # nightly at 02:00 UTC; None = no schedule
    work_expiry_days: int = Field(1, ge=1)
    cache_expiry_days: int = Field(90, ge=1)
    output_expiry_days: int | None = Field(None, ge=1)  # None = keep cutouts
    log_retention_days: int = Field(30, ge=1)
    alarm_email: str | None = None
    model_max_attempts: int = Field(8, ge=1, le=99)
    memory_mb: dict[str, int] = Field(default_factory=lambda: dict(MEMORY_MB))

    @field_validator("model")
    @classmethod
    def _runs_on_aws(cls, model: str) -> str:
        if model not in CATALOG or "aws" not in CATALOG[model].engines:
            raise ValueError(f"choose a model the AWS engine runs: {', '.join(AWS_MODELS)}")
        return model

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> StackConfig:
        """The stack's settings from the app's context (``app.node.get_all_context()``).

        A missing or ``null`` key takes the default; ``schedule=""`` turns the schedule off.
        Unknown keys are refused, so a misspelt setting is not silently ignored.
        """
        unknown = [
            key
            for key in context
            if key not in cls.model_fields and key not in APP_CONTEXT and not key.startswith(_CDK)
        ]
        if unknown:
            raise ConfigError(
                f"unknown context {', '.join(sorted(unknown))}: the settings are "
                f"{', '.join(name for name in cls.model_fields if name != 'memory_mb')}"
            )
        given: dict[str, Any] = {
            key: None if key == "schedule" and value == "" else value
            for key, value in context.items()
            if key in cls.model_fields
            and (value not in (None, "") or (key, value) == ("schedule", ""))
        }
        try:
            return cls(**given)
        except ValidationError as error:
            problem = error.errors()[0]
            raise ConfigError(
                f"context {problem['loc'][0]}={problem['input']!r}: {problem['msg']}"
            ) from None

    def lambda_settings(self, bucket_name: str) -> Settings:
        """What the stack's Lambdas run with (``Settings.environment`` writes it)."""
        return Settings(
            bucket=bucket_name,
            engine="aws",
            model=self.model,
            concurrency=self.concurrency,
            url_expiry_seconds=self.url_expiry_seconds,
        )


# CDK's own context (feature flags, lookups) starts with "@aws-cdk/" or "aws:cdk:".
_CDK = ("@", "aws:", "aws-cdk:", "cdk")


def workflow_settings(config: StackConfig) -> WorkflowSettings:
    """The definition's numbers for the deployed stack: one place for both workflows."""
    default = WorkflowSettings()
    throttling = replace(default.model_throttling, max_attempts=config.model_max_attempts)
    return replace(default, model_throttling=throttling)
