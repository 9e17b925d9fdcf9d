"""cdk-nag's AwsSolutions checks, with every acknowledged finding and its reason in one place.

cdk-nag 3 plugs into CDK's policy validation: ``app.synth()`` fails on any finding
that is not acknowledged here, and each wildcard is acknowledged by name.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from lambdas import layout
from workflow import names
from workflow.constructs.functions import S3_ACCESS
from workflow.definition import MAP_LABEL

PACK = "AwsSolutions::"


def acknowledgements(stack: cdk.Stack, bucket: cdk.CfnResource) -> dict[str, str]:
    """Finding id → why it is acceptable."""
    bucket_arn = f"<{stack.get_logical_id(bucket)}.Arn>"
    prefixes = sorted(
        {pattern for access in S3_ACCESS.values() for group in access for pattern in group}
    )
    found = {
        f"{PACK}AwsSolutions-IAM5[Resource::{bucket_arn}/{pattern}]": (
            f"Each function may read or write only the key prefixes of its step ({pattern}); "
            "the keys under it are per run and per item, so they cannot be listed in advance."
        )
        for pattern in prefixes
    }
    found[f"{PACK}AwsSolutions-IAM5[Resource::{bucket_arn}/{layout.MAP_RESULTS_PATTERN}]"] = (
        "The Distributed Map's ResultWriter writes each run's result files under that run's "
        "prefix; the run id is the execution name, known only at run time."
    )
    found[f"{PACK}AwsSolutions-IAM5[Resource::{bucket_arn}/{layout.ITEMS_PATTERN}]"] = (
        "The Distributed Map's ItemReader reads only each run's items.json; the run id is "
        "the execution name, known only at run time."
    )
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    executions = f"arn:<AWS::Partition>:states:{stack.region}:{account}:execution"
    batch = names.physical_name(stack, names.BATCH)
    found[f"{PACK}AwsSolutions-IAM5[Resource::{executions}:{batch}:*]"] = (
        "A Distributed Map describes and stops its own child executions, named at run time."
    )
    found[f"{PACK}AwsSolutions-IAM5[Resource::{executions}:{batch}/{MAP_LABEL}:*]"] = (
        "Redriving a Map Run redrives its child executions, whose names are made at run time "
        "under the Map's label."
    )
    image_run = names.physical_name(stack, names.IMAGE_RUN)
    found[f"{PACK}AwsSolutions-IAM5[Resource::{executions}:{image_run}:*]"] = (
        "The single-image answer workflow describes the image run it started (or the one a "
        "status request names); execution names are API request ids, known only at run time."
    )
    found[f"{PACK}AwsSolutions-IAM5[Resource::*]"] = (
        "X-Ray (xray:PutTraceSegments, PutTelemetryRecords), CloudWatch Logs delivery and "
        "bedrock:GetFoundationModelAvailability (Plan's model-access check) support no "
        "resource-level permissions."
    )
    found[
        f"{PACK}AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]"
    ] = "The AWS-managed minimum for a Lambda to write its own logs; nothing else."
    found[
        f"{PACK}AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]"
    ] = "API Gateway's account-level role for writing its execution logs; nothing else."
    found[f"{PACK}AwsSolutions-COG4"] = (
        "The single-image endpoint is IAM-authorised (SigV4), for tools and services; "
        "a Cognito user pool is for end users, which this endpoint does not serve."
    )
    found[f"{PACK}AwsSolutions-APIG3"] = (
        "IAM authorisation rejects unsigned requests before any work; a WAF web ACL adds cost "
        "without protecting anything IAM does not already."
    )
    found[f"{PACK}AwsSolutions-L1"] = (
        "Python 3.13 is pinned on purpose: the handlers and their arm64 wheels are built and "
        "tested for it; moving runtime is a deliberate change."
    )
    return found


def add_nag_checks(app: cdk.App, stack: cdk.Stack, bucket: cdk.CfnResource) -> None:
    """Run cdk-nag on ``app``; ``stack``'s known findings are acknowledged."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    acknowledge(stack, bucket)


def acknowledge(stack: cdk.Stack, bucket: cdk.CfnResource) -> None:
    """Acknowledge ``stack``'s known findings (once per stack; the plugin once per app)."""
    cdk.Validations.of(stack).acknowledge(
        *(
            cdk.Acknowledgment(id=finding, reason=reason)
            for finding, reason in acknowledgements(stack, bucket).items()
        )
    )
