"""Runs a flow's main function under the contract: reads the run, logs its start and end, maps the end to an exit code."""

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import NoReturn, Protocol

from .context import FlowContext, read_context
from .contract import ECS_DEFAULT_STOP_TIMEOUT_SECONDS, ExitCode, TaskEnv
from .errors import ConfigurationError, FlowStopped
from .log import FlowLogger
from .watermark import DynamoWatermarkSink

FlowMain = Callable[[FlowContext], None]


def _describe(error: BaseException) -> dict[str, str]:
    return {"name": type(error).__name__, "message": str(error)}


def _grace_seconds(env: Mapping[str, str]) -> float:
    """Shortly before ECS's SIGKILL, so a flow that ignores the stop still exits "stopped" (143), not "killed"."""
    try:
        stop_timeout = float(env.get(TaskEnv.STOP_TIMEOUT_SECONDS, ECS_DEFAULT_STOP_TIMEOUT_SECONDS))
    except ValueError:
        stop_timeout = ECS_DEFAULT_STOP_TIMEOUT_SECONDS
    return max(stop_timeout - 5, 1)


class WatermarkSink(Protocol):
    def propose(self, run_id: str, attempt: int, value: str, at: str) -> None: ...


def run_flow(
    main: FlowMain,
    env: Mapping[str, str],
    logger: FlowLogger | None = None,
    handle_signals: bool = True,
    watermarks: Callable[[Mapping[str, str]], WatermarkSink] = DynamoWatermarkSink,
) -> int:
    """Runs `main` with the run's context and returns the exit code the contract gives its end.

    `watermarks` makes the sink proposals go to (the runs table, from the environment, unless a test gives another).
    """
    logger = logger or FlowLogger(env.get(TaskEnv.LOG_LEVEL, "INFO"))
    stopping = threading.Event()

    def on_stop(signum: int, _frame: object) -> None:
        if stopping.is_set():
            return
        stopping.set()
        grace = threading.Timer(_grace_seconds(env), lambda: os._exit(ExitCode.STOPPED))
        grace.daemon = True
        grace.start()
        raise FlowStopped(signal.Signals(signum).name)

    if handle_signals:
        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
    sink: WatermarkSink | None = None

    def propose(run_id: str, attempt: int, value: str, at: str) -> None:
        nonlocal sink
        sink = sink or watermarks(env)
        sink.propose(run_id, attempt, value, at)

    try:
        context = read_context(env, logger, propose if env.get(TaskEnv.RUNS_TABLE) else None)
        context.stopping = stopping
        logger.append_keys(flow=context.flow, runId=context.run_id, attempt=context.attempt)
        logger.info(
            "flow started",
            params=dict(context.params.values),
            dataInterval={
                "start": context.data_interval.start.isoformat().replace("+00:00", "Z"),
                "end": context.data_interval.end.isoformat().replace("+00:00", "Z"),
            },
        )
        main(context)
        if stopping.is_set():
            logger.warning("flow stopped before finishing (SIGTERM)")
            return ExitCode.STOPPED
        logger.info("flow succeeded")
        return ExitCode.SUCCESS
    except FlowStopped as stop:
        logger.warning(f"flow stopped ({stop})")
        return ExitCode.STOPPED
    except ConfigurationError as error:
        logger.error(f"configuration error: {error}")
        return ExitCode.CONFIGURATION_ERROR
    except Exception as error:  # noqa: BLE001 - every failure of the flow's code is an exit code, never a traceback alone
        if stopping.is_set():
            logger.warning("flow stopped (SIGTERM)", error=_describe(error))
            return ExitCode.STOPPED
        logger.error("flow failed", error=_describe(error), stack=traceback.format_exc(limit=20))
        return ExitCode.FLOW_ERROR


def run(main: FlowMain) -> NoReturn:
    """A flow's entry point: `if __name__ == "__main__": run(main)`. Exits with the contract's code."""
    sys.exit(run_flow(main, os.environ))
