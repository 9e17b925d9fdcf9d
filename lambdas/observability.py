"""Powertools Logger, Tracer and Metrics for the Lambdas, and nothing at all locally.

On AWS (``BGREMOVE_ENGINE=aws``) every handler logs with its Lambda context, traces
to X-Ray and flushes EMF metrics: items processed and failed, model latency and
throttles. The local engine calls handlers thousands of times in-process, so there
``instrument`` returns the handler as it is and the metric helpers do nothing.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from lambdas.errors import ModelThrottledError

if TYPE_CHECKING:  # Powertools takes 0.2 s to import; the local engine never needs it
    from aws_lambda_powertools.utilities.typing import LambdaContext
else:
    LambdaContext = Any

SERVICE = "bgremove"


def on_aws() -> bool:
    return os.environ.get("BGREMOVE_ENGINE") == "aws" and "AWS_LAMBDA_FUNCTION_NAME" in os.environ


@functools.cache
def _powertools() -> tuple[Any, Any, Any]:
    from aws_lambda_powertools import Logger, Metrics, Tracer

    return (
        Logger(service=SERVICE),
        Tracer(service=SERVICE),
        Metrics(namespace=SERVICE, service=SERVICE),
    )


Handler = TypeVar("Handler", bound=Callable[..., Any])


def instrument(handler: Handler) -> Handler:
    """Wrap a handler with Powertools on AWS; return it unchanged elsewhere."""
    if not on_aws():
        return handler
    logger, tracer, metrics = _powertools()
    wrapped = logger.inject_lambda_context(
        tracer.capture_lambda_handler(metrics.log_metrics(handler))
    )
    return cast(Handler, wrapped)


def count(name: str, value: float = 1) -> None:
    if on_aws():
        from aws_lambda_powertools.metrics import MetricUnit

        _powertools()[2].add_metric(name=name, unit=MetricUnit.Count, value=value)


@contextmanager
def model_call() -> Iterator[None]:
    """Record the model step's latency, and count throttles."""
    started = time.perf_counter()
    try:
        yield
    except ModelThrottledError:
        count("ModelThrottles")
        raise
    finally:
        if on_aws():
            from aws_lambda_powertools.metrics import MetricUnit

            elapsed = (time.perf_counter() - started) * 1000
            _powertools()[2].add_metric(
                name="ModelLatency", unit=MetricUnit.Milliseconds, value=elapsed
            )
