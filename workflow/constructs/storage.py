"""The batch bucket: private, TLS only, encrypted, logged, with expiring prefixes."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lambdas import layout
from workflow.config import StackConfig


class BatchStorage(Construct):
    """``bucket`` holds the prefixes of ``lambdas.layout``; the intermediate ones expire."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        # The log bucket admits S3's log delivery by bucket policy, not the legacy
        # LogDeliveryWrite ACL (cfn-lint W3045); CDK's feature flag, set here so it holds
        # whether or not the CDK CLI passes cdk.json's context.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        rules = [
            s3.LifecycleRule(
                id="work", prefix=layout.WORK, expiration=Duration.days(config.work_expiry_days)
            ),
            s3.LifecycleRule(
                id="cache", prefix=layout.CACHE, expiration=Duration.days(config.cache_expiry_days)
            ),
            s3.LifecycleRule(id="runs", prefix=layout.RUNS, expiration=Duration.days(90)),
            s3.LifecycleRule(
                id="uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
            ),
        ]
        if config.output_expiry_days:
            rules.append(
                s3.LifecycleRule(
                    id="outputs",
                    prefix=layout.OUTPUTS,
                    expiration=Duration.days(config.output_expiry_days),
                )
            )
        self.bucket = s3.Bucket(
            self,
            "Batch",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=False,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="batch/",
            lifecycle_rules=rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
