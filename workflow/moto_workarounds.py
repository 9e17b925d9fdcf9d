"""Every change bgremove makes to moto's Step Functions interpreter and S3, in one place.

moto (pinned in requirements.txt) runs our real definition, but its interpreter has
gaps that matter for batches of thousands of images, and its S3 listing for buckets
of many photos. Each workaround below says
what it fixes; ``tests/unit/workflow/test_moto_workarounds.py`` has, for each, a test
that fails when moto changes so that the workaround is no longer needed or no
longer works. ``apply()`` is idempotent.

1. Map workers loop instead of recursing once per item (10,000 items hit the limit).
2. One boto3 client per service instead of one per task.
3. A retry clock that tests and rehearsals can compress (``RetryClock``).
4. Each JSONPath parsed once.
5. Lambda tasks answered in-process (``route_lambda``), without a boto3 round trip.
6. A JSON-specialised deep copy for state data.
7. No per-item event history inside a Distributed Map.
8. Tasks run in the Map worker's thread (so ``TimeoutSeconds`` is not enforced locally).
9. moto's per-error log lines silenced (the execution history keeps every error).
10. A state's result is held to the 256 KiB limit before ResultPath, as on AWS: a
    Map that gathers its children's results fails with States.DataLimitExceeded
    unless a ResultWriter sends them to S3.
11. A Map's ResultWriter reads its Parameters' paths from the state's input (moto
    reads them from the children's results).
12. A failed child of a Distributed Map gives the Map its error and cause as its
    result, as on AWS (moto gives null), so the 256 KiB limit meets what AWS's does.
13. An Express workflow ends TIMED_OUT after 5 minutes, as on AWS (moto lets it run).
14. S3's ListObjectsV2 answers a page in time that grows with the page, not the
    bucket (``workflow/moto_s3_listing.py``): moto sorts the whole bucket on every
    page, so listing 200,000 keys took minutes.
15. moto's response serializer reads each timestamp back from the text it wrote
    once per distinct text (it ran dateutil on every listed object's LastModified).
Failed items never fail the Map (moto ignores ToleratedFailurePercentage, but its
Distributed Map already tolerates them): a test watches for that changing.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from moto.core import serialize as moto_serialize
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component,
    iteration_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    distributed_item_processor_worker as distributed_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import (
    result_writer_decl,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.eval.program_state import ProgramError
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from workflow import moto_s3_listing

_lock = threading.Lock()
_applied = False
_original_boto_client_for = moto_boto_client.boto_client_for
#: moto's own functions, before ``apply()`` replaces them (the tests inspect these).
ORIGINALS: dict[str, Any] = {
    "IterationWorker._eval_pool": iteration_worker.IterationWorker._eval_pool,
    "DistributedItemProcessorWorker._eval_pool": (
        distributed_worker.DistributedItemProcessorWorker._eval_pool
    ),
    "boto_client_for": _original_boto_client_for,
    "json_path.parse": json_path.parse,
    "result_path.parse": result_path.parse,
    "_invoke_lambda_function": lambda_eval_utils._invoke_lambda_function,
    "map_run_event_manager": distributed_iteration_component.EventManager,
    "_evaluate_with_timeout": execute_state.ExecutionState._evaluate_with_timeout,
    "ResultWriter._eval_body": result_writer_decl.ResultWriter._eval_body,
    "create_state_machine": StepFunctionsParserBackend.create_state_machine,
    "DistributedItemProcessorWorker._eval_job": (
        distributed_worker.DistributedItemProcessorWorker._eval_job
    ),
    "S3Backend.list_objects_v2": moto_s3_listing.ORIGINAL_LIST_OBJECTS_V2,
    "parse_to_aware_datetime": moto_serialize.parse_to_aware_datetime,
    "TimestampSerializer._convert_timestamp_to_str": (
        moto_serialize.TimestampSerializer._convert_timestamp_to_str
    ),
}

#: ``(function_arn, payload_bytes) -> (payload, function_error)``; see ``route_lambda``.
LambdaRouter = Callable[[str, bytes], tuple[Any, "str | None"]]
_lambda_router: LambdaRouter | None = None


class RetryClock:
    """The clock moto's retrier sleeps on; ``scale`` < 1 compresses retry waits.

    moto really sleeps for IntervalSeconds × BackoffRate^n (with jitter), as AWS would.
    Tests and ``--simulate`` rehearsals set a small scale so a throttling storm
    finishes in seconds; ``slept`` is the total of the waits asked for, unscaled.
    """

    def __init__(self) -> None:
        self.scale = 1.0
        self.slept = 0.0
        self._sleep = retrier_decl.time.sleep
        self._count_lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._count_lock:
            self.slept += seconds
        self._sleep(seconds * self.scale)


retry_clock = RetryClock()


class _TimeWithRetryClock:
    """Stands in for the ``time`` module inside moto's retrier."""

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        retry_clock.sleep(seconds)


def _iterative_eval_pool(self, job, worker_frame) -> None:
    """moto's ``IterationWorker._eval_pool`` with its tail call turned into a loop.

    moto recurses once per item a worker processes, so a worker that handles more
    than ~900 items (10,000 items at concurrency 8) hits Python's recursion limit.
    """
    while True:
        if job is None:
            self._env.close_frame(worker_frame)
            return
        job_frame = worker_frame.open_inner_frame()
        self._eval_job(env=job_frame, job=job)
        worker_frame.close_frame(job_frame)
        if isinstance(job.job_output, Exception) or self.stopped():
            self._env.close_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        next_job = self._job_pool.next_job()
        if next_job is None:
            worker_frame.event_history_context.source_event_id = (
                job_frame.event_history_context.last_published_event_id
            )
            self._env.close_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        self._job_pool.close_job(job)
        job = next_job


def _iterative_distributed_eval_pool(self, job, worker_frame) -> None:
    """moto's ``DistributedItemProcessorWorker._eval_pool`` as a loop (see above)."""
    while True:
        if job is None:
            self._env.delete_frame(worker_frame)
            return
        job_frame = worker_frame.open_inner_frame()
        self._eval_job(env=job_frame, job=job)
        _keep_failure_as_result(job, job_frame)
        worker_frame.delete_frame(job_frame)
        if isinstance(job.job_output, Exception) or self.stopped():
            self._env.delete_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        next_job = self._job_pool.next_job()
        if next_job is None:
            self._env.delete_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        self._job_pool.close_job(job)
        job = next_job


def _keep_failure_as_result(job, frame) -> None:
    """A failed child's result is its error and cause, as on AWS (workaround 12)."""
    state = frame.program_state()
    if job.job_output is None and isinstance(state, ProgramError):
        details = state.error or {}
        job.job_output = {"Error": details.get("error", ""), "Cause": details.get("cause", "")}


@functools.cache
def _cached_client(region: str, service: str, intercepting: bool) -> Any:
    return _original_boto_client_for(region=region, service=service)


def _reused_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto builds a new boto3 client for every task it runs (tens of ms each).

    Clients are thread-safe and moto's own are credential-less, so one per
    (region, service) is enough. The key includes whether moto is intercepting,
    because that decides the client's endpoint.
    """
    from moto.core.models import botocore_stubber

    return _cached_client(region, service, botocore_stubber.enabled)


def _modules_importing_boto_client_for() -> list[Any]:
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "boto_client_for", None) is _original_boto_client_for
    ]


def _import_task_modules() -> None:
    # Modules import boto_client_for by name, so each must be loaded before it is patched.
    import moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3  # noqa: F401
    import moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3  # noqa: F401
    import moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils  # noqa: F401


def _cached_parser(parse: Any) -> Any:
    """moto parses every JSONPath each time it reads one, building a new parser each time.

    Parsed paths are immutable, so one parse per distinct path string is enough.
    """
    return functools.lru_cache(maxsize=1024)(parse)


@functools.lru_cache(maxsize=4096)
def _cached_timestamp(value: Any) -> Any:
    return ORIGINALS["parse_to_aware_datetime"](value)


def _parse_timestamp_once(value: Any) -> Any:
    """moto's serializer parses the timestamp text it made itself, with dateutil, for
    every object it lists; S3's are whole seconds, so most texts repeat. The result
    (a ``datetime``) is immutable, so one parse per text is enough."""
    try:
        return _cached_timestamp(value)
    except TypeError:  # unhashable: moto's own way
        return ORIGINALS["parse_to_aware_datetime"](value)


def lambda_router() -> LambdaRouter | None:
    """The router ``route_lambda`` installed (``None``: moto invokes Lambda its own way)."""
    return _lambda_router


def route_lambda(router: LambdaRouter | None) -> None:
    """Answer the interpreter's Lambda invocations with ``router`` (``None``: moto's own way).

    moto invokes a Lambda task through a boto3 client: request serialisation, the
    stubber and response parsing cost more per task than a small handler does. The
    router is called with the function ARN and the JSON payload, and returns what
    Lambda would: the decoded result payload and ``"Unhandled"`` when it raised.
    """
    global _lambda_router
    _lambda_router = router


def _routed_invoke_lambda_function(parameters: dict, region: str, state_credentials: Any) -> dict:
    router = _lambda_router
    if router is None:
        return ORIGINALS["_invoke_lambda_function"](
            parameters=parameters, region=region, state_credentials=state_credentials
        )
    payload, function_error = router(parameters["FunctionName"], parameters.get("Payload") or b"{}")
    response: dict[str, Any] = {"StatusCode": 200, "Payload": payload}
    if function_error:
        response["FunctionError"] = function_error
    return response


def json_copy(value: Any) -> Any:
    """A deep copy specialised for JSON-shaped data (dicts, lists, scalars).

    moto deep-copies every state's input and output several times per state with
    ``copy.deepcopy``, whose generality (memo, reductions) costs several times more
    than a walk over dicts and lists. Anything else falls back to ``copy.deepcopy``.
    """
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


class _CopyWithJsonDeepcopy:
    """Stands in for the ``copy`` module inside moto's state-evaluation modules."""

    deepcopy = staticmethod(lambda value, memo=None: json_copy(value))
    copy = staticmethod(copy.copy)


#: moto modules whose ``copy.deepcopy`` calls only ever see state data.
_STATE_DATA_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
)


class _UnrecordedEventManager(EventManager):
    """Event ids without the events: for the child workflows of a Distributed Map.

    moto builds every item's history (timestamped, deep-copied events, ~30 per item)
    into one list for the whole Map Run, which nothing reads: AWS keeps each child
    execution's history apart, and moto has no API to read these. For 10,000 items
    that is 300,000 events of time and memory.
    """

    def add_event(
        self, context, event_type, event_details=None, timestamp=None, update_source_event_id=True
    ) -> int:
        with self._mutex:
            event_id = self._event_id_gen.get()
            context.last_published_event_id = event_id
            if update_source_event_id:
                context.source_event_id = event_id
            return event_id


def _evaluate_in_this_thread(self, env) -> None:
    """moto's ``ExecutionState._evaluate_with_timeout`` without its thread per task.

    moto runs every Task in a new thread, on a deep copy of the stack, only so that
    it can stop waiting when TimeoutSeconds pass. Our handlers run in-process and
    cannot be stopped anyway, so the local engine does not enforce TimeoutSeconds;
    the rest (result selection, ResultPath) is moto's code as is.
    """
    self.timeout.eval(env=env)
    env.stack.pop()
    frame = env.open_frame()
    frame.states.reset(input_value=env.states.get_input())
    frame.stack = list(env.stack)
    try:
        self._eval_execution(frame)
    finally:
        frame.set_ended()
        env.close_frame(frame)
    execution_output = frame.stack.pop()
    # AWS counts a Map's gathered results against the size limit before ResultPath
    # drops them (workaround 10); moto checks only the output after ResultPath (a
    # Task's result it checks itself).
    if isinstance(self, StateMap):
        self._verify_size_quota(env=env, value=execution_output)
    env.stack.append(execution_output)
    if not self._is_language_query_jsonpath():
        env.states.set_result(execution_output)
    if self.assign_decl:
        self.assign_decl.eval(env=env)
    if self.result_selector:
        self.result_selector.eval(env=env)
    if self.result_path:
        self.result_path.eval(env)
    else:
        env.states.reset(input_value=env.stack.pop())


def _result_writer_on_state_input(self, env) -> None:
    """moto's ``ResultWriter._eval_body`` with its Parameters evaluated on the Map's input.

    AWS resolves ``"Bucket.$": "$.plan.items_bucket"`` against the state's input;
    moto resolves it against the list of the children's results on its stack.
    """
    results = env.stack.pop()
    env.stack.append(env.states.get_input())
    self.parargs.eval(env=env)
    parameters = env.stack.pop()
    env.stack.pop()  # the state's input
    env.stack.extend([results, parameters])  # what moto's S3 writer pops, in its order
    self.resource_eval.eval_resource(env=env)


#: AWS ends an Express workflow after this many seconds, whatever its definition says.
EXPRESS_MAX_SECONDS = 300


def _express_capped_create(self, name, definition, roleArn, *args, sm_type=None, **kwargs):  # noqa: N803
    """moto's ``create_state_machine``; an Express machine gets AWS's 5-minute cap as
    its ``TimeoutSeconds`` (moto enforces that field, not the cap)."""
    if (sm_type or "").upper() == "EXPRESS":
        document = json.loads(definition)
        given = document.get("TimeoutSeconds", EXPRESS_MAX_SECONDS)
        document["TimeoutSeconds"] = min(given, EXPRESS_MAX_SECONDS)
        definition = json.dumps(document)
    return ORIGINALS["create_state_machine"](
        self, name, definition, roleArn, *args, sm_type=sm_type, **kwargs
    )


def apply() -> None:
    """Install every workaround (once per process)."""
    global _applied
    with _lock:
        if _applied:
            return
        iteration_worker.IterationWorker._eval_pool = _iterative_eval_pool
        distributed_worker.DistributedItemProcessorWorker._eval_pool = (
            _iterative_distributed_eval_pool
        )
        _import_task_modules()
        for module in _modules_importing_boto_client_for():
            module.boto_client_for = _reused_boto_client_for
        retrier_decl.time = _TimeWithRetryClock()
        lambda_eval_utils._invoke_lambda_function = _routed_invoke_lambda_function
        distributed_iteration_component.EventManager = _UnrecordedEventManager
        execute_state.ExecutionState._evaluate_with_timeout = _evaluate_in_this_thread
        result_writer_decl.ResultWriter._eval_body = _result_writer_on_state_input
        StepFunctionsParserBackend.create_state_machine = _express_capped_create
        moto_s3_listing.apply()
        moto_serialize.parse_to_aware_datetime = _parse_timestamp_once
        for name in _STATE_DATA_MODULES:
            importlib.import_module(name).copy = _CopyWithJsonDeepcopy
        json_path.parse = _cached_parser(ORIGINALS["json_path.parse"])
        result_path.parse = _cached_parser(ORIGINALS["result_path.parse"])
        # moto logs every caught task error with its whole parse tree, and warns on every
        # parse that ToleratedFailurePercentage has no effect (its distributed Map already
        # lets a failed item end without failing the Map, which is what our 100 % asks
        # for). The execution history keeps every error; the terminal needs none of this.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        _applied = True


def reset_clients() -> None:
    """Forget cached clients (call when a mock ends)."""
    _cached_client.cache_clear()
