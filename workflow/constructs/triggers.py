"""The nightly schedule: run the inputs/ prefix, skipping photos whose cutout is up to date."""

from __future__ import annotations

import json

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


class NightlySchedule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        expression: str,
        bucket: s3.IBucket,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        state_machine.grant_start_execution(role)
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description="bgremove: process s3://<bucket>/inputs/ every night",
            schedule_expression=expression,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=state_machine.state_machine_arn,
                role_arn=role.role_arn,
                # skip_done: only new or changed photos are processed each night.
                input=json.dumps(
                    {"prefix": f"s3://{bucket.bucket_name}/inputs/", "options": {"skip_done": True}}
                ),
            ),
        )
