"""Physical names derive from the stack name, within each service's limits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workflow import names


def stack(name: str) -> SimpleNamespace:
    return SimpleNamespace(stack_name=name)


def test_a_name_is_the_stack_name_in_lower_case_and_a_suffix():
    assert names.physical_name(stack("BgRemoveStack"), names.BATCH) == "bgremovestack-batch"
    assert names.vended_log_group_name("s-batch") == "/aws/vendedlogs/states/s-batch"


def test_a_long_stack_name_is_cut_to_the_limit_and_stays_distinct():
    first, second = (
        names.physical_name(stack(f"{'A' * 120}{tail}"), names.ANSWER) for tail in ("x", "y")
    )
    assert len(first) == len(second) == names.STATE_MACHINE_NAME_MAX
    assert first != second
    assert first.endswith(f"-{names.ANSWER}") and first.startswith("a" * 40)


@pytest.mark.parametrize("name", ["", "1stack", "my stack", "${Token[TOKEN.1]}", "a" * 129])
def test_a_name_cloudformation_would_refuse_is_refused_here(name):
    with pytest.raises(ValueError, match="CloudFormation stack name"):
        names.physical_name(stack(name), names.BATCH)
