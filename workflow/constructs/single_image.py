"""The tutorial's single-image request: HTTPS GET ?input_key=… → the cutout's presigned URL.

Two state machines (see ``workflow/single_image_api.py`` for why): the **image run**
(Standard: Plan and the batch's per-item fragment, with the stack's retry settings),
and the **answer** (Express, StartSyncExecution from API Gateway), which starts the
image run and polls it for about 16 s. The API is IAM-authorised and answers the URL
(200), the run's error (404 for the tutorial's missing key, 400 otherwise) or 202 with
a status URL; ``GET /cutout/status?id=…`` gives a later answer.
"""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow import single_image_api as api
from workflow.config import StackConfig, workflow_settings
from workflow.constructs.functions import retention_days
from workflow.constructs.state_machine import vended_log_group_name
from workflow.definition import build_single_image_definition

# A new name: the Express machine that had "bgremove-single-image" is replaced, and
# CloudFormation cannot replace a custom-named resource under the same name.
SINGLE_IMAGE_NAME = "bgremove-single-image-run"
ANSWER_NAME = "bgremove-single-image-answer"
#: HTTP statuses the answer can have (API Gateway needs each as a method response).
STATUSES = ("200", "202", "400", "404", "502", "504")


class SingleImageEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        functions: dict[str, lambda_.IFunction],
        budget: api.SyncBudget | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.retention = retention_days(config.log_retention_days)
        self.image_run = self._image_run(config, functions)
        self.answer = self._answer(budget or api.SyncBudget())
        self.api = self._api()

    def _machine(
        self,
        construct_id: str,
        name: str,
        kind: sfn.StateMachineType,
        definition: dict,
        role: iam.Role,
    ) -> sfn.StateMachine:
        log_group = logs.LogGroup(
            self,
            f"{construct_id}Logs",
            log_group_name=vended_log_group_name(name),
            retention=self.retention,
        )
        return sfn.StateMachine(
            self,
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

    def _image_run(
        self, config: StackConfig, functions: dict[str, lambda_.IFunction]
    ) -> sfn.StateMachine:
        definition = build_single_image_definition(
            {n: f.function_arn for n, f in functions.items()}, workflow_settings(config)
        )
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in functions.values()],
            )
        )
        return self._machine(
            "Workflow", SINGLE_IMAGE_NAME, sfn.StateMachineType.STANDARD, definition, role
        )

    def _answer(self, budget: api.SyncBudget) -> sfn.StateMachine:
        stack = Stack.of(self)
        executions = (
            f"arn:{stack.partition}:states:{stack.region}:{stack.account}:execution:"
            f"{SINGLE_IMAGE_NAME}"
        )
        definition = api.build_answer_definition(
            self.image_run.state_machine_arn, executions, budget
        )
        role = iam.Role(self, "AnswerRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[self.image_run.state_machine_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[f"{executions}:*"])
        )
        return self._machine("Answer", ANSWER_NAME, sfn.StateMachineType.EXPRESS, definition, role)

    def _api(self) -> apigw.RestApi:
        access_logs = logs.LogGroup(self, "ApiAccessLogs", retention=self.retention)
        rest = apigw.RestApi(
            self,
            "Api",
            rest_api_name="bgremove single image",
            description="The tutorial's request: GET /cutout?input_key=inputs/cat.png",
            # Edge-optimized: API Gateway waits at most 29 s, which the answer workflow fits.
            endpoint_types=[apigw.EndpointType.EDGE],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        api_role = iam.Role(
            self, "ApiRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com")
        )
        api_role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartSyncExecution"],
                resources=[self.answer.state_machine_arn],
            )
        )
        validator = rest.add_request_validator(
            "Params", validate_request_parameters=True, validate_request_body=True
        )
        cutout = rest.root.add_resource(api.CUTOUT_PATH)
        status = cutout.add_resource(api.STATUS_PATH.rsplit("/", 1)[1])
        for resource, parameter, timed_out in (
            (cutout, "input_key", api.CUTOUT_TIMED_OUT),
            (status, "id", api.STATUS_TIMED_OUT),
        ):
            resource.add_method(
                "GET",
                self._integration(api_role, parameter, timed_out),
                authorization_type=apigw.AuthorizationType.IAM,
                request_parameters={f"method.request.querystring.{parameter}": True},
                request_validator=validator,
                method_responses=[apigw.MethodResponse(status_code=code) for code in STATUSES],
            )
        return rest

    def _integration(self, role: iam.Role, parameter: str, timed_out: str) -> apigw.AwsIntegration:
        return apigw.AwsIntegration(
            service="states",
            action="StartSyncExecution",
            integration_http_method="POST",
            options=apigw.IntegrationOptions(
                credentials_role=role,
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                request_templates={
                    "application/json": api.request_template(
                        self.answer.state_machine_arn, parameter
                    )
                },
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200",
                        response_templates={
                            "application/json": api.response_template(timed_out=timed_out)
                        },
                    ),
                    apigw.IntegrationResponse(
                        status_code="502",
                        selection_pattern=r"[45]\d{2}",
                        response_templates={"application/json": api.REFUSED},
                    ),
                ],
            ),
        )
