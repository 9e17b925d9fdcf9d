"""The bgremove stack: storage, functions, the state machine, schedule and alarms."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from workflow.config import StackConfig
from workflow.constructs.alarms import WorkflowAlarms
from workflow.constructs.functions import WorkflowFunctions
from workflow.constructs.single_image import SingleImageEndpoint
from workflow.constructs.state_machine import BatchStateMachine
from workflow.constructs.storage import BatchStorage
from workflow.constructs.triggers import NightlySchedule


class BgRemoveStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        bundle_dependencies: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = self.storage = BatchStorage(self, "Storage", config=config)
        functions = WorkflowFunctions(
            self,
            "Functions",
            config=config,
            bucket=storage.bucket,
            bundle_dependencies=bundle_dependencies,
        )
        machine = BatchStateMachine(
            self, "Workflow", config=config, bucket=storage.bucket, functions=functions.functions
        )
        if config.schedule:
            NightlySchedule(
                self,
                "Nightly",
                expression=config.schedule,
                bucket=storage.bucket,
                state_machine=machine.state_machine,
            )
        single = SingleImageEndpoint(
            self, "SingleImage", config=config, functions=functions.functions
        )
        WorkflowAlarms(
            self,
            "Alarms",
            state_machine=machine.state_machine,
            functions=functions.functions,
            email=config.alarm_email,
        )
        CfnOutput(self, "BucketName", value=storage.bucket.bucket_name)
        CfnOutput(self, "StateMachineArn", value=machine.state_machine.state_machine_arn)
        CfnOutput(self, "SingleImageUrl", value=single.api.url_for_path("/cutout"))
        CfnOutput(self, "SingleImageStatusUrl", value=single.api.url_for_path("/cutout/status"))
