"""The single-image REST API: IAM-authorised ``GET /cutout`` and ``GET /cutout/status``.

Each route is a StartSyncExecution of the answer workflow, through the mapping
templates of ``workflow/single_image_api.py``. Edge-optimized: API Gateway waits at
most 29 s, which the answer workflow fits.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow import names
from workflow import single_image_api as api
from workflow.constructs.roles import service_role

#: HTTP statuses the answer can have (API Gateway needs each as a method response).
STATUSES = ("200", "202", "400", "404", "502", "504")


def cutout_api(
    scope: Construct, *, answer: sfn.IStateMachine, retention: logs.RetentionDays
) -> apigw.RestApi:
    """The REST API (ids ``Api``, ``ApiAccessLogs``, ``ApiRole`` in ``scope``), both routes added."""
    rest = _rest_api(scope, retention)
    role = service_role(
        scope,
        "ApiRole",
        "apigateway.amazonaws.com",
        [(["states:StartSyncExecution"], [answer.state_machine_arn])],
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
            _integration(answer, role, parameter, timed_out),
            authorization_type=apigw.AuthorizationType.IAM,
            request_parameters={f"method.request.querystring.{parameter}": True},
            request_validator=validator,
            method_responses=[apigw.MethodResponse(status_code=code) for code in STATUSES],
        )
    return rest


def _rest_api(scope: Construct, retention: logs.RetentionDays) -> apigw.RestApi:
    """The API and its stage ``v1``: X-Ray, error logs, JSON access logs."""
    access_logs = logs.LogGroup(scope, "ApiAccessLogs", retention=retention)
    return apigw.RestApi(
        scope,
        "Api",
        rest_api_name=names.physical_name(Stack.of(scope), names.SINGLE_IMAGE_API),
        description="The tutorial's request: GET /cutout?input_key=inputs/cat.png",
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


def _integration(
    answer: sfn.IStateMachine, role: iam.IRole, parameter: str, timed_out: str
) -> apigw.AwsIntegration:
    """StartSyncExecution of ``answer`` with the query ``parameter``; its answer mapped back."""
    return apigw.AwsIntegration(
        service="states",
        action="StartSyncExecution",
        integration_http_method="POST",
        options=apigw.IntegrationOptions(
            credentials_role=role,
            passthrough_behavior=apigw.PassthroughBehavior.NEVER,
            request_templates={
                "application/json": api.request_template(answer.state_machine_arn, parameter)
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
