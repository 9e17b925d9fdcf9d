"""Physical names, derived from the stack name so several stacks share an account and region.

Every custom-named resource of the stack is named ``<stack name, lower-case>-<suffix>``
here and nowhere else; the IAM ARNs built by hand from those names (a state machine's
own ARN would be a circular reference) use the same functions. No ``aws_cdk`` import:
the CLI reads ``DEFAULT_STACK_NAME`` from here.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_cdk import Stack

#: The stack ``app.py`` synthesizes and the CLI looks up unless told otherwise.
DEFAULT_STACK_NAME = "BgRemoveStack"

#: Suffixes of the custom-named resources.
BATCH = "batch"
IMAGE_RUN = "single-image-run"
ANSWER = "single-image-answer"
SINGLE_IMAGE_API = "single-image"

#: Step Functions: 1–80 characters of ``[A-Za-z0-9_-]`` (CloudWatch logging needs ASCII).
STATE_MACHINE_NAME_MAX = 80
#: CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128.
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_VENDED_LOGS = "/aws/vendedlogs/states/"


def physical_name(stack: Stack, suffix: str, *, max_length: int = STATE_MACHINE_NAME_MAX) -> str:
    """``<stack name>-<suffix>`` in lower case, at most ``max_length`` characters.

    A stack name too long for that keeps its start and gets a short hash of the whole,
    so two long stack names that share a start still get different names.

    Parameters
    ----------
    stack
        The stack the resource belongs to (its ``stack_name`` must be a plain string).
    suffix
        One of this module's suffixes.
    max_length
        The service's limit (the default is Step Functions', the shortest here).
    """
    stack_name = stack.stack_name
    if not _STACK_NAME.fullmatch(stack_name):
        raise ValueError(
            f"stack name {stack_name!r}: a CloudFormation stack name is a letter followed by "
            "letters, digits and hyphens (at most 128)"
        )
    name = f"{stack_name.lower()}-{suffix}"
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    keep = max_length - len(suffix) - len(digest) - 2
    return f"{stack_name.lower()[:keep].rstrip('-')}-{digest}-{suffix}"


def vended_log_group_name(machine_name: str) -> str:
    """Step Functions log groups go under /aws/vendedlogs/states/.

    CloudWatch Logs then needs no account-wide resource policy entry per group (that
    policy has a size limit that many state machines exhaust). A state machine name
    (≤ 80 characters) keeps this far below the 512 allowed for a log group name.
    """
    return f"{_VENDED_LOGS}{machine_name}"
