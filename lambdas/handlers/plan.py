"""Plan Lambda: request → items.json. See ``lambdas.planning``."""

from __future__ import annotations

from lambdas import clients, planning
from lambdas.observability import LambdaContext, instrument
from lambdas.payloads import PlanEvent, PlanResult
from lambdas.settings import Settings


@instrument
def handler(event: PlanEvent, context: LambdaContext | None = None) -> PlanResult:
    run_id = event.get("execution_name") or planning.new_run_id()
    return planning.plan_run(
        event.get("request") or {},
        run_id=run_id,
        settings=Settings.from_env(),
        s3=clients.s3(),
        bedrock=clients.bedrock,
    )
