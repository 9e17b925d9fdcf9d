"""The Standard state machine, from the same definition the local engine runs."""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from lambdas import layout
from workflow.config import StackConfig, workflow_settings
from workflow.constructs.functions import retention_days
from workflow.definition import build_definition, map_labels

STATE_MACHINE_NAME = "bgremove-batch"


def vended_log_group_name(machine_name: str) -> str:
    """Step Functions log groups go under /aws/vendedlogs/states/.

    CloudWatch Logs then needs no account-wide resource policy entry per group (that
    policy has a size limit that many state machines exhaust).
    """
    return f"/aws/vendedlogs/states/{machine_name}"


class BatchStateMachine(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        bucket: s3.IBucket,
        functions: dict[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        definition = build_definition(
            {name: fn.function_arn for name, fn in functions.items()}, workflow_settings(config)
        )
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        # Exactly what the definition calls: the seven functions, the items file, the
        # Map's result files, and its own child executions (Distributed Map).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[fn.function_arn for fn in functions.values()],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[bucket.arn_for_objects(layout.ITEMS_PATTERN)]
            )
        )
        # The Map's ResultWriter: its result files can be big enough for multipart uploads.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:PutObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                resources=[bucket.arn_for_objects(layout.MAP_RESULTS_PATTERN)],
            )
        )
        # Built from the name: the machine's own ARN would be a circular reference.
        machine_arn = f"arn:{stack.partition}:states:{stack.region}:{stack.account}:stateMachine:{STATE_MACHINE_NAME}"
        role.add_to_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[machine_arn])
        )
        executions = f"arn:{stack.partition}:states:{stack.region}:{stack.account}:execution:"
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[f"{executions}{STATE_MACHINE_NAME}:*"],
            )
        )
        # Redriving a Map Run redrives its child executions, named <machine>/<Map label>:<id>
        # (the grant CDK's own DistributedMap construct makes).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:RedriveExecution"],
                resources=[
                    f"{executions}{STATE_MACHINE_NAME}/{label}:*"
                    for label in map_labels(definition)
                ],
            )
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=vended_log_group_name(STATE_MACHINE_NAME),
            retention=retention_days(config.log_retention_days),
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Batch",
            state_machine_name=STATE_MACHINE_NAME,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
            role=role,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
        )
