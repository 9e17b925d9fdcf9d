"""Service roles allowed exactly a list of (actions, resources) grants."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

#: One grant: the actions, on the resources.
Grant = tuple[Sequence[str], Sequence[str]]


def service_role(
    scope: Construct, construct_id: str, service: str, grants: Sequence[Grant]
) -> iam.Role:
    """A role ``service`` (e.g. ``states.amazonaws.com``) assumes, one statement per grant."""
    role = iam.Role(scope, construct_id, assumed_by=iam.ServicePrincipal(service))
    for actions, resources in grants:
        role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=list(resources)))
    return role
