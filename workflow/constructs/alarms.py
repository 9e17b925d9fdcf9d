"""Alarms: failed executions, failing items, sustained throttling; optional e-mail."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


class WorkflowAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
        email: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", enforce_ssl=True)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        failed_runs = state_machine.metric_failed(period=Duration.minutes(5))
        # RecordFailure runs once per failed item; its invocations are the failing items.
        failed_items = functions["record_failure"].metric_invocations(period=Duration.minutes(15))
        # Throttling shows as remove_background errors retried by the state machine.
        model_errors = functions["remove_background"].metric_errors(period=Duration.minutes(5))
        self.alarms = [
            cloudwatch.Alarm(
                self,
                "FailedExecutions",
                metric=failed_runs,
                threshold=1,
                evaluation_periods=1,
                alarm_description="A bgremove batch execution failed (see its execution history).",
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "FailingItems",
                metric=failed_items,
                threshold=50,
                evaluation_periods=1,
                alarm_description="More than 50 items failed in 15 minutes (see the run's report).",
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "SustainedThrottling",
                metric=model_errors,
                threshold=20,
                evaluation_periods=3,
                alarm_description="The model step keeps failing (throttling?) for 15 minutes: lower "
                "concurrency or raise the Bedrock quota.",
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
        for alarm in self.alarms:
            alarm.add_alarm_action(actions.SnsAction(self.topic))
