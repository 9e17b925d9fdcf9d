"""The tutorial's single-image request: HTTPS GET ?input_key=… → the cutout's presigned URL.

An Express workflow runs Plan and the batch's per-item fragment synchronously
(``build_single_image_definition``); API Gateway calls it with StartSyncExecution,
IAM-authorised by default, and answers with the URL or the tutorial's plain error.
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow.definition import build_single_image_definition

SINGLE_IMAGE_NAME = "bgremove-single-image"

# API Gateway's answer: the URL on success; on failure the error's own message
# (for a missing key: "S3 object '…' does not exist in bucket '…'").
_RESPONSE = """#set($out = $input.path('$'))
#if($out.status == "SUCCEEDED")
#set($summary = $util.parseJson($out.output))
{"url": "$summary.output_url", "report": "$summary.report_url"}
#else
#set($context.responseOverride.status = 400)
#set($cause = $util.parseJson($out.cause))
{"error": "$util.escapeJavaScript($out.error)", "message": "$util.escapeJavaScript($cause.errorMessage)"}
#end"""


class SingleImageEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.IFunction],
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        definition = build_single_image_definition(
            {n: f.function_arn for n, f in functions.items()}
        )
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[functions[name].function_arn for name in functions],
            )
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Workflow",
            state_machine_name=SINGLE_IMAGE_NAME,
            state_machine_type=sfn.StateMachineType.EXPRESS,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
            role=role,
            timeout=Duration.minutes(5),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(self, "WorkflowLogs", retention=log_retention),
                level=sfn.LogLevel.ALL,
            ),
        )
        api_role = iam.Role(
            self, "ApiRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com")
        )
        api_role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartSyncExecution"],
                resources=[self.state_machine.state_machine_arn],
            )
        )
        access_logs = logs.LogGroup(self, "ApiAccessLogs", retention=log_retention)
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name="bgremove single image",
            description="The tutorial's request: GET /cutout?input_key=inputs/cat.png",
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
        integration = apigw.AwsIntegration(
            service="states",
            action="StartSyncExecution",
            integration_http_method="POST",
            options=apigw.IntegrationOptions(
                credentials_role=api_role,
                request_templates={
                    "application/json": json.dumps(
                        {
                            "stateMachineArn": self.state_machine.state_machine_arn,
                            "input": '{\\"input_key\\": \\"$util.escapeJavaScript($input.params(\'input_key\'))\\"}',
                        }
                    )
                },
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200", response_templates={"application/json": _RESPONSE}
                    )
                ],
            ),
        )
        validator = self.api.add_request_validator(
            "Params", validate_request_parameters=True, validate_request_body=True
        )
        self.api.root.add_resource("cutout").add_method(
            "GET",
            integration,
            authorization_type=apigw.AuthorizationType.IAM,
            request_parameters={"method.request.querystring.input_key": True},
            request_validator=validator,
            method_responses=[
                apigw.MethodResponse(status_code="200"),
                apigw.MethodResponse(status_code="400"),
            ],
        )
