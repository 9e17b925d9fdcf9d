"""Run the real definition on moto's Step Functions interpreter and in-memory S3.

The local engine is what ``bgremove run`` uses: it starts an execution of
``build_definition`` (the same document CDK deploys) and runs each Lambda's handler
in-process when the interpreter invokes it. The handlers read the user's files in
place and write each cutout, preview and record into ``--out`` the moment it is
done (``lambdas.run_store.LocalRunStore``); moto's S3 holds only the items file the
interpreter reads. A killed run keeps what finished, and the same command resumes.
No Docker, no AWS account.

How the interpreter reaches our handlers: its Lambda invocations are routed (see
``moto_workarounds.route_lambda``) to ``LambdaInvoker``, which runs the handler and
answers as Lambda would: the JSON result, or for an exception
``FunctionError: Unhandled`` with ``{"errorType", "errorMessage"}``, so the
definition's Retry and Catch see the exception's class name.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from cli.exit_codes import ExitCode
from lambdas import clients, errors, layout
from lambdas.models import bedrock
from lambdas.models.catalog import BEDROCK_MODELS
from lambdas.payloads import ItemCounts, RunSummary
from lambdas.planning import new_run_id
from lambdas.run_report import write_run_report
from lambdas.run_store import LocalRunStore
from lambdas.settings import Settings
from manifests.parsing import manifest_kind
from workflow import moto_workarounds
from workflow.definition import FUNCTIONS, WorkflowSettings, build_definition

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "bgremove-local"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/bgremove-local"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bgremove-{name.replace('_', '-')}"


def _handler_for(name: str) -> Callable[[dict, Any], Any]:
    return importlib.import_module(f"lambdas.handlers.{name}").handler


@dataclass
class Progress:
    """Counts the engine keeps while a run goes on (read by the progress bar)."""

    total: int | None = None
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    started_items: int = 0
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done(self) -> int:
        return self.succeeded + self.failed

    @property
    def in_flight(self) -> int:
        """Images that have started their steps and not yet ended."""
        return max(0, self.started_items - self.done)


@dataclass
class RunOutcome:
    """What a local run ended with.

    ``status`` is ``"finished"`` (the report was written), ``"refused"`` (the run could
    not start: bad request, manifest or model; nothing was written), ``"failed"``
    (the workflow broke before the report) or ``"interrupted"``.
    """

    status: str
    run_id: str | None = None
    counts: ItemCounts = field(
        default_factory=lambda: ItemCounts(total=0, succeeded=0, failed=0, skipped=0)
    )
    error_type: str | None = None
    error_message: str | None = None
    out_dir: Path | None = None
    report_path: Path | None = None
    unexpected_errors: list[str] = field(default_factory=list)
    abandoned: int = 0  # images still in flight when a second Ctrl-C stopped the run

    @property
    def exit_code(self) -> ExitCode:
        if self.status == "refused":
            return ExitCode.REFUSED
        if self.status == "finished":
            return ExitCode.for_counts(self.counts)
        return ExitCode.ITEMS_FAILED


class LambdaInvoker:
    """Answers the interpreter's Lambda Invoke calls with our handlers, in-process."""

    def __init__(self, progress: Progress) -> None:
        self._names = {function_arn(name): name for name in FUNCTIONS}
        self._handlers: dict[str, Callable[[dict, Any], Any]] = {}
        self.progress = progress
        self.unexpected_errors: list[str] = []
        self.plan_result: dict | None = None
        self.in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._new_items = threading.Event()  # set: new images may start
        self._new_items.set()
        self.closed = False

    def hold_new_items(self) -> None:
        """Stop starting images (their first step waits); those in flight go on."""
        self._new_items.clear()

    def close(self) -> None:
        """Answer every further call with an error at once, held ones included."""
        self.closed = True
        self._new_items.set()

    def wait_idle(self, timeout: float = 600.0, quiet_for: float = 0.3) -> None:
        """Wait until no handler has run for ``quiet_for`` seconds (after a stop)."""
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            if self.in_flight:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_for:
                return
            time.sleep(0.02)

    def invoke(self, function: str, payload: bytes) -> tuple[Any, str | None]:
        """Run the handler for ``function`` on ``payload``; return (result, function error)."""
        event = json.loads(payload or b"{}")
        if function not in self._names:
            return _error_payload("ResourceNotFoundException", f"no handler for {function}")
        if function == function_arn("validate"):
            self._new_items.wait()
        if self.closed:
            return _error_payload(errors.NotProcessedError.__name__, "the run was stopped")
        with self._in_flight_lock:
            self.in_flight += 1
        if function == function_arn("validate"):
            with self.progress.lock:
                self.progress.started_items += 1
        try:
            # Through JSON, as Lambda would: a result that does not serialise is a bug here too.
            result = json.loads(json.dumps(self._handler(function)(event, None)))
        except Exception as error:  # the Lambda runtime reports every exception the same way
            if not isinstance(error, errors.BgRemoveError):
                self.unexpected_errors.append(
                    f"{function}: {''.join(traceback.format_exception(error)).strip()}"
                )
            self._count(function, failed=True)
            return _error_payload(type(error).__name__, str(error), error)
        finally:
            with self._in_flight_lock:
                self.in_flight -= 1
        self._count(function, result=result)
        return result, None

    def _handler(self, function: str) -> Callable[[dict, Any], Any]:
        # Imported on first use, as Lambda does at a cold start.
        if function not in self._handlers:
            self._handlers[function] = _handler_for(self._names[function])
        return self._handlers[function]

    def _count(self, function: str, *, result: Any = None, failed: bool = False) -> None:
        progress = self.progress
        with progress.lock:
            if function == function_arn("plan") and not failed:
                self.plan_result = result
                progress.total = result["to_process"]
                progress.skipped = result["total"] - result["to_process"]
            elif function == function_arn("store") and not failed:
                progress.succeeded += 1
            elif function == function_arn("record_failure") and not failed:
                progress.failed += 1


def _error_payload(
    error_type: str, message: str, error: BaseException | None = None
) -> tuple[dict, str]:
    """What the Python Lambda runtime answers for an exception, stack trace included
    (it makes a failed item's Cause as big as on AWS, a few KB)."""
    payload: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if error is not None:
        payload["stackTrace"] = traceback.format_tb(error.__traceback__)
    return payload, "Unhandled"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def local_aws(
    env: dict[str, str],
    router: moto_workarounds.LambdaRouter | None,
    retry_clock_scale: float = 1.0,
    *,
    passthrough: tuple[str, ...] = (),
) -> Iterator[None]:
    """moto's AWS with every workaround, as a local run uses it, for the ``with`` block.

    Parameters
    ----------
    env
        Environment variables set for the block (the handlers' settings).
    router
        Answers the interpreter's Lambda invocations (``moto_workarounds.route_lambda``),
        e.g. ``LambdaInvoker.invoke``; ``None`` when no state machine runs.
    retry_clock_scale
        Multiplies every retry wait while the block runs (1.0 = as on AWS).
    passthrough
        Services moto lets through to the real AWS (e.g. Bedrock for a hybrid run).
    """
    from moto import mock_aws

    moto_workarounds.apply()
    config: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}}
    if passthrough:
        config["core"] = {"passthrough": {"services": list(passthrough)}}
    previous_scale = moto_workarounds.retry_clock.scale
    with _environment(env), mock_aws(config=config):
        clients.reset()
        moto_workarounds.reset_clients()
        moto_workarounds.route_lambda(router)
        moto_workarounds.retry_clock.scale = retry_clock_scale
        try:
            yield
        finally:
            moto_workarounds.route_lambda(None)
            moto_workarounds.retry_clock.scale = previous_scale
            clients.reset()
            moto_workarounds.reset_clients()


@dataclass
class LocalEngine:
    """Runs batches on the local engine.

    Parameters
    ----------
    model, output_format, concurrency
        The run's options (``None`` = the defaults in ``lambdas.settings``).
    simulate
        A ``--simulate`` spec: Bedrock models answer from a simulated Bedrock.
    retry_clock_scale
        Multiplies every retry wait (1.0 = as on AWS), and the simulated Bedrock's
        latency and quota clock; tests and rehearsals use less.
    cache_dir
        Where masks are kept between runs, so a re-run calls the model zero times
        (``None`` = no cache across runs).
    on_progress
        Called about five times a second with the run's ``Progress``.
    on_stopping
        Called at once when Ctrl-C is first pressed, with the number of images in
        flight (they finish; a second Ctrl-C stops without waiting for them).
    """

    model: str | None = None
    simulate: str | None = None
    model_path: str | None = None
    output_format: str | None = None
    output_options: dict[str, Any] = field(default_factory=dict)  # mask, bg_color, crop, …
    concurrency: int | None = None
    url_expiry_seconds: int | None = None
    settings: WorkflowSettings = field(default_factory=WorkflowSettings)
    retry_clock_scale: float = 1.0
    on_progress: Callable[[Progress], None] | None = None
    on_stopping: Callable[[int], None] | None = None
    poll_seconds: float = 0.2
    cache_dir: Path | None = field(default_factory=lambda: default_cache_dir())

    def run(self, source: Path, out_dir: Path) -> RunOutcome:
        """Process ``source`` (a folder, an image or a .json/.csv manifest) into ``out_dir``."""
        source = Path(source)
        if not source.exists() and not source.is_symlink():
            return _refused(errors.SourceNotFoundError(f"{source} does not exist"))
        progress = Progress()
        invoker = LambdaInvoker(progress)
        hybrid = self._hybrid_clients()
        if isinstance(hybrid, RunOutcome):
            return hybrid
        out_dir = Path(out_dir).absolute()
        request, root, label = local_request(source)
        env = local_environment(root, out_dir, self.cache_dir, label)
        # moto must not answer for the real Bedrock the models call.
        passthrough = ("bedrock", "bedrock-runtime") if hybrid else ()
        with local_aws(env, invoker.invoke, self.retry_clock_scale, passthrough=passthrough):
            if hybrid:
                bedrock.use_runtime_client(hybrid["runtime"])
                clients.use_bedrock(hybrid["control"])
            try:
                clear_leftovers(out_dir)
                return self._run(request, out_dir, progress, invoker)
            finally:
                bedrock.use_runtime_client(None)
                clients.use_bedrock(None)

    def _hybrid_clients(self) -> dict[str, Any] | RunOutcome | None:
        """Real Bedrock clients for a Bedrock model that is not simulated, made before moto starts.

        moto replaces credentials while it runs, so the user's are captured first.
        """
        if self.model not in BEDROCK_MODELS or self.simulate is not None:
            return None
        session = boto3.Session()
        if session.get_credentials() is None:
            return _refused(
                errors.ModelUnusableError(
                    f"--model {self.model} calls Amazon Bedrock and needs AWS credentials "
                    "(none found); rehearse without an account with --simulate, or use --model local"
                )
            )
        region = session.region_name or REGION
        return {
            "runtime": bedrock.runtime_client(region, session=session),
            "control": session.client("bedrock", region_name=region),
        }

    def _options(self) -> dict[str, Any]:
        return self.output_options | {
            name: value
            for name, value in (
                ("model", self.model),
                ("format", self.output_format),
                ("concurrency", self.concurrency),
                ("url_expiry_seconds", self.url_expiry_seconds),
                ("simulate", self.simulate),
                ("model_path", self.model_path),
                ("time_scale", self.retry_clock_scale if self.simulate is not None else None),
            )
            if value is not None
        }

    def _run(
        self, request: dict[str, Any], out_dir: Path, progress: Progress, invoker: LambdaInvoker
    ) -> RunOutcome:
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        if self._options():
            request["options"] = self._options()
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arns = {name: function_arn(name) for name in FUNCTIONS}
        machine = sfn.create_state_machine(
            name="bgremove-batch",
            definition=json.dumps(build_definition(arns, self.settings)),
            roleArn=ROLE_ARN,
        )["stateMachineArn"]
        run_id = new_run_id()
        execution = sfn.start_execution(
            stateMachineArn=machine, name=run_id, input=json.dumps(request)
        )["executionArn"]
        try:
            described = self._wait(sfn, execution, progress)
        except KeyboardInterrupt:
            return self._stop(sfn, execution, progress, invoker, run_id)
        finally:
            self._tidy(invoker, run_id)

        outcome = RunOutcome(
            status="finished", run_id=run_id, unexpected_errors=invoker.unexpected_errors
        )
        if described["status"] != "SUCCEEDED":
            error, cause = _failure(sfn, execution, described)
            outcome.status = "refused" if _is_plan_error(error, invoker) else "failed"
            outcome.error_type, outcome.error_message = error, cause
            return outcome
        summary: RunSummary = json.loads(described["output"])
        outcome.counts = summary["counts"]
        outcome.out_dir = out_dir
        outcome.report_path = out_dir / "index.html"
        return outcome

    def _wait(
        self, sfn: SFNClient, execution: str, progress: Progress
    ) -> DescribeExecutionOutputTypeDef:
        while True:
            described = sfn.describe_execution(executionArn=execution)
            if self.on_progress:
                self.on_progress(progress)
            if described["status"] != "RUNNING":
                return described
            time.sleep(self.poll_seconds)

    def _stop(
        self,
        sfn: SFNClient,
        execution: str,
        progress: Progress,
        invoker: LambdaInvoker,
        run_id: str,
    ) -> RunOutcome:
        """Ctrl-C: start no new image and let those in flight finish; a second Ctrl-C
        stops without waiting for them. Either way, what finished is on disk, whole.
        """
        invoker.hold_new_items()
        now = threading.Event()  # a second Ctrl-C: stop without waiting for them
        with _ctrl_c_sets(now):
            if self.on_stopping:
                self.on_stopping(progress.in_flight)
            outcome = RunOutcome(
                status="interrupted", run_id=run_id, unexpected_errors=invoker.unexpected_errors
            )
            while progress.in_flight and not now.is_set() and _running(sfn, execution):
                if self.on_progress:
                    self.on_progress(progress)
                now.wait(self.poll_seconds / 4)
            if now.is_set():
                outcome.abandoned = progress.in_flight
            invoker.close()
            sfn.stop_execution(executionArn=execution, cause="interrupted by the user (Ctrl-C)")
            if not now.is_set():
                invoker.wait_idle()
            if invoker.plan_result:
                # The report lists what finished and what did not; the cutouts are on disk.
                store = LocalRunStore.from_context(invoker.plan_result["run"], s3=clients.s3())
                summary = write_run_report(store, interrupted=True)
                outcome.counts = summary["counts"]
                outcome.out_dir = store.paths.out
                outcome.report_path = store.paths.out / "index.html"
        return outcome

    def _tidy(self, invoker: LambdaInvoker, run_id: str) -> None:
        """Drop this run's intermediate files and keep the mask cache within its limit."""
        if invoker.plan_result:
            paths = LocalRunStore.from_context(invoker.plan_result["run"], s3=None).paths
            shutil.rmtree(paths.work(run_id), ignore_errors=True)
        if self.cache_dir is not None:
            prune_cache(self.cache_dir)


@contextmanager
def _ctrl_c_sets(event: threading.Event) -> Iterator[None]:
    """While stopping, Ctrl-C sets ``event`` instead of raising (signals reach only the
    main thread; elsewhere, as in tests, nothing changes).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _running(sfn: SFNClient, execution: str) -> bool:
    return sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"


def _refused(error: errors.BgRemoveError) -> RunOutcome:
    return RunOutcome(status="refused", error_type=type(error).__name__, error_message=str(error))


def _failure(
    sfn: SFNClient, execution: str, described: DescribeExecutionOutputTypeDef
) -> tuple[str, str]:
    error, cause = described.get("error"), described.get("cause")
    if error is None:
        for event in sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]:
            details = event.get("executionFailedEventDetails")
            if details:
                error, cause = details.get("error"), details.get("cause")
                break
    return errors.parse_cause(cause, error)


def _is_plan_error(error: str, invoker: LambdaInvoker) -> bool:
    return invoker.plan_result is None and error in errors.PLAN_ERRORS


def local_environment(
    root: Path, out_dir: Path, cache_dir: Path | None, label: str | None = None
) -> dict[str, str]:
    """What the handlers read from the environment in a local run (``Settings.from_env``)."""
    settings = Settings(
        bucket=BUCKET,
        engine="local",
        input_prefix="",
        local_root=str(root),
        local_out=str(out_dir),
        local_cache=str(cache_dir.absolute()) if cache_dir else None,
        local_label=label,
    )
    credentials = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
    }
    return credentials | settings.environment()


def local_request(source: Path) -> tuple[dict[str, Any], Path, str | None]:
    """The run's request for ``source``, the folder its keys are relative to, and its label.

    A folder is read whole; a manifest names paths relative to its own folder; one
    image is reported by the name the user gave it.
    """
    if source.is_dir():
        return {"prefix": f"s3://{BUCKET}/"}, source.absolute(), None
    root = source.absolute().parent
    if manifest_kind(source.name):
        return {"manifest": f"s3://{BUCKET}/{source.name}"}, root, None
    return {"input_key": source.name}, root, str(source)


def clear_leftovers(out_dir: Path) -> None:
    """Remove what a killed run left in ``--out``'s state folder: partial files, work, plans.

    Records stay: they are how the next run knows what is done.
    """
    state = out_dir / layout.STATE_FOLDER
    for leftover in ("tmp", layout.WORK.rstrip("/"), layout.RUNS.rstrip("/")):
        shutil.rmtree(state / leftover, ignore_errors=True)


def default_cache_dir() -> Path:
    """``$BGREMOVE_CACHE_DIR``, else ``$XDG_CACHE_HOME/bgremove``, else ``~/.cache/bgremove``."""
    if os.environ.get("BGREMOVE_CACHE_DIR"):
        return Path(os.environ["BGREMOVE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bgremove"


#: Masks kept between local runs (the newest); about 50 KB each.
CACHE_LIMIT = 20_000


def prune_cache(cache_dir: Path, limit: int = CACHE_LIMIT) -> None:
    """Keep the newest ``limit`` masks, and no partial file a killed run left.

    Another run may be writing into the same cache now: only partial files older
    than an hour are taken for a killed run's.
    """
    if not cache_dir.is_dir():
        return
    stale = time.time() - 3600
    for partial in cache_dir.rglob("*.partial"):
        with contextlib.suppress(OSError):
            if partial.is_file() and partial.stat().st_mtime < stale:
                partial.unlink()
    masks = list(cache_dir.rglob("*.png"))
    if len(masks) <= limit:
        return
    masks.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for path in masks[limit:]:
        path.unlink(missing_ok=True)
