"""ARNs the constructs write by hand: always through ``Stack.format_arn``.

One partition rule: every ARN takes the stack's partition (``AWS::Partition``), region
and account from CDK, never a literal ``arn:aws:``. The state machines' ASL follows the
same rule through ``workflow.definition.integration_arn``.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack


def states_arn(stack: Stack, resource: str, name: str) -> str:
    """``arn:<partition>:states:<region>:<account>:<resource>:<name>``.

    Parameters
    ----------
    stack
        The stack whose partition, region and account the ARN takes.
    resource
        ``stateMachine`` or ``execution``.
    name
        The machine's name, or an execution pattern such as ``<machine>:*``.
    """
    return stack.format_arn(
        service="states",
        resource=resource,
        resource_name=name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
