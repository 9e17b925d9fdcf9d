#!/usr/bin/env python3
"""The CDK app: ``python app.py`` synthesizes cdk.out/ (no CDK CLI or AWS account needed).

``-c stack_name=…`` (default ``BgRemoveStack``) names the stack, and every physical name
derives from it (``workflow/names.py``): several stacks can share an account and region.
"""

import os
from typing import cast

import aws_cdk as cdk

from workflow.config import StackConfig
from workflow.nag import add_nag_checks
from workflow.names import DEFAULT_STACK_NAME
from workflow.stack import BgRemoveStack

app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
config = StackConfig.from_context(app.node.get_all_context())
bundle = str(app.node.try_get_context("bundle_dependencies")).lower() != "false"
stack = BgRemoveStack(
    app,
    app.node.try_get_context("stack_name") or DEFAULT_STACK_NAME,
    config=config,
    bundle_dependencies=bundle,
    env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region),
)
add_nag_checks(app, stack, cast(cdk.CfnResource, stack.storage.bucket.node.default_child))
app.synth()
