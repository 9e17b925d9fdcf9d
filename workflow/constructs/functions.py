"""The seven Lambdas of the workflow: one code bundle, sized per step, least privilege."""

from __future__ import annotations

from aws_cdk import AssetHashType, BundlingOptions, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lambdas import layout
from lambdas.models.catalog import CATALOG
from workflow.bundling import ROOT, LocalPythonBundling
from workflow.config import TIMEOUT_SECONDS, StackConfig
from workflow.definition import FUNCTIONS

_INPUTS, _MANIFESTS, _RUNS, _WORK, _CACHE, _OUTPUTS, _REPORTS = (
    layout.everything_under(prefix)
    for prefix in (
        layout.INPUTS,
        layout.MANIFESTS,
        layout.RUNS,
        layout.WORK,
        layout.CACHE,
        layout.OUTPUTS,
        layout.REPORTS,
    )
)
# S3 access per function: (read key patterns, write key patterns).
S3_ACCESS = {
    "plan": ([_INPUTS, _MANIFESTS], [_RUNS]),
    "validate": ([_INPUTS], []),
    "resize": ([_INPUTS], [_WORK]),
    "remove_background": ([_WORK, _CACHE], [_CACHE]),
    "store": ([_INPUTS, _WORK, _CACHE], [_OUTPUTS, _REPORTS, _RUNS]),
    "record_failure": ([], [_RUNS]),
    "report": ([_RUNS, _OUTPUTS, _REPORTS], [_REPORTS]),
}


# Prefixes a function lists: Plan lists inputs (and outputs, for skip_done), Report the
# run's records, RemoveBackground looks up the cache (existence checks are listings).
S3_LISTS = {
    "plan": [layout.INPUTS, layout.MANIFESTS, layout.OUTPUTS],
    "report": [layout.RUNS],
    "remove_background": [layout.CACHE],
}


def grant_prefixes(
    function: lambda_.IFunction,
    bucket: s3.IBucket,
    reads: list[str],
    writes: list[str],
    *,
    lists: list[str],
) -> None:
    """Exactly GetObject / PutObject on key patterns, ListBucket on prefixes: no wider grants."""
    if reads:
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[bucket.arn_for_objects(p) for p in reads]
            )
        )
    if writes:
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[bucket.arn_for_objects(p) for p in writes]
            )
        )
    if lists:
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in lists]}},
            )
        )


def model_arns(stack: Stack, model: str) -> tuple[list[str], list[str]]:
    """(InvokeModel resources, GetFoundationModel resources) for ``model``."""
    facts = CATALOG[model]
    foundation = [
        stack.format_arn(
            service="bedrock",
            region=region,
            account="",
            resource="foundation-model",
            resource_name=facts.foundation_model_id,
        )
        for region in (facts.profile_regions or (stack.region,))
    ]
    invoke = list(foundation)
    if facts.profile_regions:
        invoke.append(
            stack.format_arn(
                service="bedrock", resource="inference-profile", resource_name=facts.model_id
            )
        )
    return invoke, foundation


class WorkflowFunctions(Construct):
    """``functions[name]`` for every name in ``workflow.definition.FUNCTIONS``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        bucket: s3.IBucket,
        bundle_dependencies: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # One bundle for all seven: the image is never pulled, local bundling answers.
        code = lambda_.Code.from_asset(
            str(ROOT / "lambdas"),
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=BundlingOptions(
                image=lambda_.Runtime.PYTHON_3_13.bundling_image,
                local=LocalPythonBundling(with_dependencies=bundle_dependencies),
            ),
        )
        environment = config.lambda_settings(bucket.bucket_name).environment() | {
            "POWERTOOLS_SERVICE_NAME": "bgremove",
            "POWERTOOLS_METRICS_NAMESPACE": "bgremove",
        }
        invoke_arns, foundation_arns = model_arns(stack, config.model)
        self.functions: dict[str, lambda_.Function] = {}
        for name in FUNCTIONS:
            function_id = "".join(part.title() for part in name.split("_"))
            log_group = logs.LogGroup(
                self,
                f"{function_id}Logs",
                retention=retention_days(config.log_retention_days),
            )
            function = lambda_.Function(
                self,
                function_id,
                runtime=lambda_.Runtime.PYTHON_3_13,
                architecture=lambda_.Architecture.ARM_64,
                handler=f"lambdas.handlers.{name}.handler",
                code=code,
                memory_size=config.memory_mb[name],
                timeout=Duration.seconds(TIMEOUT_SECONDS[name]),
                environment=environment,
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                description=f"bgremove: {name.replace('_', ' ')} step",
            )
            grant_prefixes(function, bucket, *S3_ACCESS[name], lists=S3_LISTS.get(name, []))
            self.functions[name] = function
        self.functions["remove_background"].add_to_role_policy(
            iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=invoke_arns)
        )
        self.functions["plan"].add_to_role_policy(
            iam.PolicyStatement(actions=["bedrock:GetFoundationModel"], resources=foundation_arns)
        )
        # Preflight's access check; the action has no resource type, so it takes "*".
        self.functions["plan"].add_to_role_policy(
            iam.PolicyStatement(actions=["bedrock:GetFoundationModelAvailability"], resources=["*"])
        )


def retention_days(days: int) -> logs.RetentionDays:
    """The CloudWatch retention closest to ``days`` (it accepts only certain values)."""
    allowed = [member for member in logs.RetentionDays if member != logs.RetentionDays.INFINITE]
    return min(allowed, key=lambda member: abs(_days(member) - days))


def _days(member: logs.RetentionDays) -> int:
    names = {
        "ONE_DAY": 1,
        "THREE_DAYS": 3,
        "FIVE_DAYS": 5,
        "ONE_WEEK": 7,
        "TWO_WEEKS": 14,
        "ONE_MONTH": 30,
        "TWO_MONTHS": 60,
        "THREE_MONTHS": 90,
        "FOUR_MONTHS": 120,
        "FIVE_MONTHS": 150,
        "SIX_MONTHS": 180,
        "ONE_YEAR": 365,
        "THIRTEEN_MONTHS": 400,
        "EIGHTEEN_MONTHS": 545,
        "TWO_YEARS": 731,
        "THREE_YEARS": 1096,
        "FIVE_YEARS": 1827,
        "SIX_YEARS": 2192,
        "SEVEN_YEARS": 2557,
        "EIGHT_YEARS": 2922,
        "NINE_YEARS": 3288,
        "TEN_YEARS": 3653,
    }
    return names.get(member.name, 10**6)
