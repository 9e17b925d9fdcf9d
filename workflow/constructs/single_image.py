"""The tutorial's single-image request: HTTPS GET ?input_key=… → the cutout's presigned URL.

Two state machines (see ``workflow/single_image_api.py`` for why): the **image run**
(Standard: Plan and the batch's per-item fragment, with the stack's retry settings),
and the **answer** (Express, StartSyncExecution from API Gateway), which starts the
image run and polls it for about 16 s. The API (``workflow/constructs/cutout_api.py``)
is IAM-authorised and answers the URL (200), the run's error (404 for the tutorial's
missing key, 400 otherwise) or 202 with a status URL; ``GET /cutout/status?id=…`` gives
a later answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow import names
from workflow import single_image_api as api
from workflow.config import StackConfig, workflow_settings
from workflow.constructs.arns import states_arn
from workflow.constructs.cutout_api import cutout_api
from workflow.constructs.functions import retention_days
from workflow.constructs.roles import service_role
from workflow.constructs.state_machine import logged_state_machine
from workflow.definition import build_single_image_definition

STATES = "states.amazonaws.com"


class SingleImageEndpoint(Construct):
    """``image_run`` and ``answer`` (state machines) and ``api`` (the REST API)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        functions: Mapping[str, lambda_.IFunction],
        budget: api.SyncBudget | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        retention = retention_days(config.log_retention_days)
        self.image_run = self._image_run(config, functions, retention)
        self.answer = self._answer(budget or api.SyncBudget(), retention)
        self.api = cutout_api(self, answer=self.answer, retention=retention)

    def _image_run(
        self,
        config: StackConfig,
        functions: Mapping[str, lambda_.IFunction],
        retention: logs.RetentionDays,
    ) -> sfn.StateMachine:
        """The Standard image run: Plan and the per-item fragment; invokes the functions."""
        definition = build_single_image_definition(
            {n: f.function_arn for n, f in functions.items()}, workflow_settings(config)
        )
        invoke = (["lambda:InvokeFunction"], [f.function_arn for f in functions.values()])
        return logged_state_machine(
            self,
            "Workflow",
            log_group_id="WorkflowLogs",
            name=names.physical_name(Stack.of(self), names.IMAGE_RUN),
            kind=sfn.StateMachineType.STANDARD,
            definition=definition,
            role=service_role(self, "Role", STATES, [invoke]),
            retention=retention,
        )

    def _answer(self, budget: api.SyncBudget, retention: logs.RetentionDays) -> sfn.StateMachine:
        """The Express answer: starts (or looks up) an image run and polls it."""
        stack = Stack.of(self)
        run_name = names.physical_name(stack, names.IMAGE_RUN)
        definition = api.build_answer_definition(
            self.image_run.state_machine_arn,
            states_arn(stack, "execution", run_name),
            budget,
            partition=stack.partition,
        )
        grants = [
            (["states:StartExecution"], [self.image_run.state_machine_arn]),
            (["states:DescribeExecution"], [states_arn(stack, "execution", f"{run_name}:*")]),
        ]
        return logged_state_machine(
            self,
            "Answer",
            log_group_id="AnswerLogs",
            name=names.physical_name(stack, names.ANSWER),
            kind=sfn.StateMachineType.EXPRESS,
            definition=definition,
            role=service_role(self, "AnswerRole", STATES, grants),
            retention=retention,
        )
