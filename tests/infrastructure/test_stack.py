"""The CDK app: it synthesizes, cfn-lint and cdk-nag accept it, and it is least-privilege."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from lambdas import errors
from workflow import cfn_lint
from workflow.config import StackConfig
from workflow.definition import error_names_used
from workflow.nag import acknowledge, acknowledgements, add_nag_checks
from workflow.stack import BgRemoveStack

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")


@pytest.fixture(scope="module")
def app_and_stack():
    app = cdk.App()
    stack = BgRemoveStack(
        app,
        "BgRemoveStack",
        config=StackConfig(alarm_email="ops@example.com"),
        bundle_dependencies=False,
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )
    add_nag_checks(app, stack, stack.storage.bucket.node.default_child)
    app.synth()
    return app, stack


@pytest.fixture(scope="module")
def template(app_and_stack):
    return Template.from_stack(app_and_stack[1])


def resources(template, kind):
    return template.find_resources(kind)


def definition_of(template) -> dict:
    machine = next(
        m
        for m in resources(template, "AWS::StepFunctions::StateMachine").values()
        if m["Properties"]["StateMachineType"] == "STANDARD"
    )
    parts = machine["Properties"]["DefinitionString"]
    if isinstance(parts, dict):  # Fn::Join of strings and tokens
        parts = "".join(
            part if isinstance(part, str) else "arn:aws:lambda:x:1:function:f"
            for part in parts["Fn::Join"][1]
        )
    return json.loads(parts)


def test_cdk_nag_passes_with_every_finding_acknowledged_with_a_reason(app_and_stack):
    app, _ = app_and_stack  # app.synth() above raises on any unacknowledged finding
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    nag = next(
        plugin for plugin in report["pluginReports"] if plugin["pluginName"] == "AwsSolutions"
    )
    assert nag["conclusion"] == "success" and nag["violations"] == []
    reasons = acknowledgements(app_and_stack[1], app_and_stack[1].storage.bucket.node.default_child)
    assert all(len(reason) > 40 for reason in reasons.values())


def test_an_unacknowledged_finding_fails_the_synth():
    app = cdk.App()
    BgRemoveStack(
        app,
        "Unchecked",
        config=StackConfig(),
        bundle_dependencies=False,
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))  # and no acknowledgements
    with pytest.raises(Exception, match="Validation failed|AwsSolutions"):
        app.synth()


def test_the_deployed_definition_is_the_local_engines(template):
    definition = definition_of(template)
    process = definition["States"]["Process images"]
    assert process["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    ours = error_names_used(definition) - {n for n in error_names_used(definition) if "." in n}
    assert ours and ours <= errors.error_names()
    machines = resources(template, "AWS::StepFunctions::StateMachine").values()
    machine = next(m for m in machines if m["Properties"]["StateMachineType"] == "STANDARD")
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}


def test_bucket_is_private_encrypted_tls_only_and_expires_work(template):
    buckets = resources(template, "AWS::S3::Bucket")
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    batch = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert len(batch) == 1
    rules = {
        rule.get("Prefix"): rule
        for rule in batch[0]["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    assert rules["work/"]["ExpirationInDays"] == 1
    policies = json.dumps(resources(template, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_bedrock_permissions_are_scoped_to_the_model(template):
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert "bedrock:*" not in actions and "*" not in actions
        if actions == ["bedrock:GetFoundationModelAvailability"]:
            continue  # no resource type: checked in test_plan_may_check_model_access
        if any(action.startswith("bedrock:") for action in actions):
            targets = json.dumps(statement["Resource"])
            assert statement["Resource"] != "*"
            assert "stable-image-remove-background" in targets
    invoke = [s for s in statements if "bedrock:InvokeModel" in json.dumps(s["Action"])]
    assert len(invoke) == 1 and "inference-profile" in json.dumps(invoke[0]["Resource"])


def test_lambdas_are_arm64_python313_with_log_retention(template):
    functions = resources(template, "AWS::Lambda::Function")
    assert len(functions) == 7
    for function in functions.values():
        props = function["Properties"]
        assert props["Architectures"] == ["arm64"] and props["Runtime"] == "python3.13"
        assert props["TracingConfig"] == {"Mode": "Active"}
    for group in resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] > 0


def test_schedule_and_alarms_exist(template):
    schedule = next(iter(resources(template, "AWS::Scheduler::Schedule").values()))
    assert schedule["Properties"]["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert "inputs/" in json.dumps(schedule["Properties"]["Target"]["Input"])
    assert "skip_done" in json.dumps(schedule["Properties"]["Target"]["Input"])
    assert len(resources(template, "AWS::CloudWatch::Alarm")) == 3
    assert len(resources(template, "AWS::SNS::Subscription")) == 1


def test_app_py_synthesizes_and_cfn_lint_finds_no_errors(tmp_path):
    # As the CDK CLI runs it: context and output folder come in through the environment.
    env = dict(
        os.environ,
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="1",
        CDK_OUTDIR=str(tmp_path),
        CDK_CONTEXT_JSON=json.dumps({"bundle_dependencies": "false"}),
    )
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, check=True, capture_output=True)
    template = tmp_path / "BgRemoveStack.template.json"
    assert template.is_file()
    lint = cfn_lint.lint(template)
    # No errors and no warnings, apart from the rules acknowledged (with reasons) in one place.
    assert lint.returncode == 0 and lint.stdout == "", lint.stdout + lint.stderr
    assert all(len(reason) > 40 for reason in cfn_lint.ACKNOWLEDGED.values())
    everything = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(template)], capture_output=True
    )
    assert everything.returncode != 0  # the acknowledged findings are real: the test can fail


def machine_definition(machine: dict) -> dict:
    """A state machine's ASL with every CDK token (ARN part) replaced by a plain string."""
    parts = machine["Properties"]["DefinitionString"]
    if isinstance(parts, dict):
        parts = "".join(part if isinstance(part, str) else "x" for part in parts["Fn::Join"][1])
    return json.loads(parts)


def machines_by_name(template) -> dict:
    return {
        m["Properties"]["StateMachineName"]: m
        for m in resources(template, "AWS::StepFunctions::StateMachine").values()
    }


def test_single_image_endpoint_is_iam_authorised_and_answers_within_api_gateways_timeout(
    template,
):
    methods = resources(template, "AWS::ApiGateway::Method")
    gets = [m for m in methods.values() if m["Properties"]["HttpMethod"] == "GET"]
    assert len(gets) == 2  # /cutout and /cutout/status
    for get in gets:
        assert get["Properties"]["AuthorizationType"] == "AWS_IAM"
        assert "StartSyncExecution" in json.dumps(get["Properties"]["Integration"])
    machines = machines_by_name(template)
    kinds = {name: m["Properties"]["StateMachineType"] for name, m in machines.items()}
    assert kinds == {
        "bgremovestack-batch": "STANDARD",
        "bgremovestack-single-image-run": "STANDARD",
        "bgremovestack-single-image-answer": "EXPRESS",
    }
    answer = machine_definition(machines["bgremovestack-single-image-answer"])
    assert answer["TimeoutSeconds"] < 29  # CDK's timeout= would be ignored for a string
    apis = resources(template, "AWS::ApiGateway::RestApi").values()
    assert [a["Properties"]["EndpointConfiguration"]["Types"] for a in apis] == [["EDGE"]]


def test_the_image_run_has_a_timeout_and_the_stacks_retry_settings():
    app = cdk.App()
    stack = BgRemoveStack(
        app,
        "Attempts",
        config=StackConfig(model_max_attempts=3),
        bundle_dependencies=False,
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )
    machines = machines_by_name(Template.from_stack(stack))
    for name in ("attempts-batch", "attempts-single-image-run"):
        definition = machine_definition(machines[name])
        retries = json.dumps(definition)
        assert '"ErrorEquals": ["ModelThrottledError"' in retries
        throttling = [
            entry
            for entry in _retriers(definition)
            if "ModelThrottledError" in entry["ErrorEquals"]
        ]
        assert throttling and all(entry["MaxAttempts"] == 3 for entry in throttling), name
    assert machine_definition(machines["attempts-single-image-run"])["TimeoutSeconds"] > 0


def _retriers(node):
    if isinstance(node, dict):
        yield from node.get("Retry", [])
        for value in node.values():
            yield from _retriers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _retriers(value)


def statements_of(template, logical_prefix):
    return [
        statement
        for name, policy in resources(template, "AWS::IAM::Policy").items()
        if name.startswith(logical_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statement):
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_plan_may_check_model_access_and_nothing_more(template):
    plan = statements_of(template, "FunctionsPlanServiceRoleDefaultPolicy")
    availability = [s for s in plan if "bedrock:GetFoundationModelAvailability" in actions_of(s)]
    assert len(availability) == 1
    assert actions_of(availability[0]) == ["bedrock:GetFoundationModelAvailability"]
    everyone_else = [
        s
        for name in resources(template, "AWS::IAM::Policy")
        if not name.startswith("FunctionsPlan")
        for s in statements_of(template, name)
    ]
    assert not any("bedrock:GetFoundationModelAvailability" in actions_of(s) for s in everyone_else)


def test_state_machine_may_redrive_its_map_runs_child_executions(template):
    statements = statements_of(template, "WorkflowRoleDefaultPolicy")
    redrive = [s for s in statements if "states:RedriveExecution" in actions_of(s)]
    assert len(redrive) == 1
    assert json.dumps(redrive[0]["Resource"]).endswith(
        ':execution:bgremovestack-batch/Images:*"]]}'
    )


def test_state_machine_log_groups_are_vended_and_keep_the_configured_retention():
    app = cdk.App()
    stack = BgRemoveStack(
        app,
        "Retention",
        config=StackConfig(log_retention_days=7),
        bundle_dependencies=False,
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )
    template = Template.from_stack(stack)
    machines = resources(template, "AWS::StepFunctions::StateMachine").values()
    groups = resources(template, "AWS::Logs::LogGroup")
    for machine in machines:
        destination = machine["Properties"]["LoggingConfiguration"]["Destinations"][0]
        logical = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        group = groups[logical]["Properties"]
        assert group["LogGroupName"].startswith("/aws/vendedlogs/states/")
        assert group["RetentionInDays"] == 7


def test_plans_role_allows_every_bedrock_call_preflight_makes(template):
    """Record the calls preflight really makes (botocore.s before-parameter-build) and check the policy."""
    from botocore.stub import Stubber

    from lambdas.models.catalog import CATALOG
    from lambdas.models.preflight import preflight

    client = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    called = []
    client.meta.events.register_first(
        "before-parameter-build.bedrock", lambda model, **_: called.append(f"bedrock:{model.name}")
    )
    model_id = CATALOG["stability"].foundation_model_id
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_foundation_model",
            {
                "modelDetails": {
                    "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model_id}",
                    "modelId": model_id,
                    "modelLifecycle": {"status": "ACTIVE"},
                }
            },
        )
        stubber.add_response(
            "get_foundation_model_availability",
            {
                "modelId": model_id,
                "agreementAvailability": {"status": "AVAILABLE"},
                "authorizationStatus": "AUTHORIZED",
                "entitlementAvailability": "AVAILABLE",
                "regionAvailability": "AVAILABLE",
            },
        )
        result = preflight("stability", region="us-east-1", bedrock_client=client)
    assert result.warnings == []  # "could not check model access" is gone
    assert set(called) == {"bedrock:GetFoundationModel", "bedrock:GetFoundationModelAvailability"}
    allowed = {
        action
        for statement in statements_of(template, "FunctionsPlanServiceRoleDefaultPolicy")
        for action in actions_of(statement)
    }
    assert set(called) <= allowed


# ``…Name`` properties that name nothing account-wide: a role's inline policy, a metric,
# an API's stage.
NOT_PHYSICAL = {"PolicyName", "MetricName", "StageName"}


def physical_names(template: dict) -> set[str]:
    """Every custom name a resource of ``template`` sets (``…Name`` properties that are strings)."""
    found = set()
    for resource in template["Resources"].values():
        for key, value in resource.get("Properties", {}).items():
            if key.endswith("Name") and key not in NOT_PHYSICAL and isinstance(value, str):
                found.add(value)
    return found


def test_two_stacks_in_one_account_and_region_share_no_physical_name():
    app = cdk.App()
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    for stack_name in ("BgRemoveBlue", "BgRemoveGreen"):
        stack = BgRemoveStack(
            app,
            stack_name,
            config=StackConfig(),
            bundle_dependencies=False,
            env=cdk.Environment(account="123456789012", region="us-east-1"),
        )
        acknowledge(stack, stack.storage.bucket.node.default_child)
    assembly = app.synth()  # cdk-nag passes for both, each with its own acknowledgements
    blue, green = (
        assembly.get_stack_by_name(name).template for name in ("BgRemoveBlue", "BgRemoveGreen")
    )
    blue_names, green_names = physical_names(blue), physical_names(green)
    assert {"bgremoveblue-batch", "/aws/vendedlogs/states/bgremoveblue-batch"} <= blue_names
    assert {"bgremovegreen-single-image-answer", "bgremovegreen-single-image"} <= green_names
    assert not blue_names & green_names
    policies = json.dumps(Template.from_json(green).find_resources("AWS::IAM::Policy"))
    assert "bgremoveblue" not in policies
    assert ":execution:bgremovegreen-single-image-run:*" in policies


def test_every_arn_takes_the_stacks_partition(template):
    """No literal ``arn:aws:`` in the template, the state machines' definitions included."""
    text = json.dumps(template.to_json())
    assert "arn:aws:" not in text
    assert 'arn:", {"Ref": "AWS::Partition"}, ":states:::s3:getObject' in text
