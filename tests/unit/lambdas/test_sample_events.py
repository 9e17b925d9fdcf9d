"""The sample events under tests/events/ have the shapes ``lambdas.payloads`` gives them."""

from __future__ import annotations

from typing import NotRequired, get_origin, get_type_hints

import pytest

from lambdas.payloads import ItemInput, RunContext, StateError, WorkItem
from tests.fixtures.events import EVENTS, load_event


def assert_shape(value: dict, typed: type) -> None:
    """Every key ``typed`` requires is in ``value``, and ``value`` has no other keys.

    (``__required_keys__`` cannot see ``NotRequired`` under ``from __future__ import
    annotations``, which payloads.py uses: the resolved hints can.)
    """
    hints = get_type_hints(typed, include_extras=True)
    required = {key for key, hint in hints.items() if get_origin(hint) is not NotRequired}
    assert required <= set(value), required - set(value)
    assert set(value) <= set(hints), set(value) - set(hints)


def test_the_record_failure_event_is_an_item_state_after_a_catch():
    event = load_event("record_failure")
    assert_shape(event, ItemInput)
    for key, typed in (("item", WorkItem), ("run", RunContext), ("error", StateError)):
        assert_shape(event[key], typed)


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in (EVENTS / "plan").glob("*.json") if path.stem != "refused")
)
def test_plan_events_are_what_the_plan_state_passes(name):
    event = load_event(f"plan/{name}")
    assert set(event) == {"request", "execution_name"}  # workflow/definition.py, "Plan batch"
    assert len({"prefix", "manifest", "input_key"} & set(event["request"])) == 1


def test_the_report_sample_run_is_a_run_context():
    assert_shape(load_event("report_records")["run"], RunContext)
