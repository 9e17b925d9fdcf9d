"""The batch state machine, from the same definition the local engine runs."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from lambdas import layout
from workflow import names
from workflow.config import StackConfig, workflow_settings
from workflow.constructs.arns import states_arn
from workflow.constructs.functions import retention_days
from workflow.constructs.roles import service_role
from workflow.definition import build_definition, map_labels


class BatchStateMachine(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        bucket: s3.IBucket,
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        machine_name = names.physical_name(stack, names.BATCH)
        definition = build_definition(
            {name: fn.function_arn for name, fn in functions.items()},
            workflow_settings(config),
            partition=stack.partition,
        )
        # Exactly what the definition calls: the seven functions, the items file, the
        # Map's result files (big enough for multipart uploads), and its own executions,
        # built from the name: the machine's own ARN would be a circular reference.
        # Redriving a Map Run redrives its child executions, named <machine>/<label>:<id>
        # (the grant CDK's own DistributedMap construct makes).
        grants = [
            (["lambda:InvokeFunction"], [fn.function_arn for fn in functions.values()]),
            (["s3:GetObject"], [bucket.arn_for_objects(layout.ITEMS_PATTERN)]),
            (
                ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                [bucket.arn_for_objects(layout.MAP_RESULTS_PATTERN)],
            ),
            (["states:StartExecution"], [states_arn(stack, "stateMachine", machine_name)]),
            (
                ["states:DescribeExecution", "states:StopExecution"],
                [states_arn(stack, "execution", f"{machine_name}:*")],
            ),
            (
                ["states:RedriveExecution"],
                [
                    states_arn(stack, "execution", f"{machine_name}/{label}:*")
                    for label in map_labels(definition)
                ],
            ),
        ]
        role = service_role(self, "Role", "states.amazonaws.com", grants)
        self.state_machine = logged_state_machine(
            self,
            "Batch",
            log_group_id="Logs",
            name=machine_name,
            kind=sfn.StateMachineType.STANDARD,
            definition=definition,
            role=role,
            retention=retention_days(config.log_retention_days),
        )


def logged_state_machine(
    scope: Construct,
    construct_id: str,
    *,
    log_group_id: str,
    name: str,
    kind: sfn.StateMachineType,
    definition: dict,
    role: iam.IRole,
    retention: logs.RetentionDays,
) -> sfn.StateMachine:
    """A named state machine with X-Ray and its own vended log group (no execution data).

    Parameters
    ----------
    scope, construct_id
        Where the machine goes; ``log_group_id`` is its log group's id in ``scope``.
    name
        Its physical name (``workflow.names.physical_name``).
    kind, definition, role
        Standard or Express, the ASL document, the role it runs with.
    retention
        How long its log group keeps events.
    """
    log_group = logs.LogGroup(
        scope,
        log_group_id,
        log_group_name=names.vended_log_group_name(name),
        retention=retention,
    )
    return sfn.StateMachine(
        scope,
        construct_id,
        state_machine_name=name,
        state_machine_type=kind,
        # TimeoutSeconds is in the ASL itself: CDK's ``timeout`` is ignored for a string.
        definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
        role=role,
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False
        ),
    )
