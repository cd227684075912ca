import json
import os
import signal
import subprocess
import sys
import time
import unittest
from pathlib import Path

from data_flows import ConfigurationError, ExitCode, FlowContext, run_flow

from support import CapturedLog, run_env

HELPER = Path(__file__).resolve().parent.parent


def ends(main, **env: str) -> tuple[int, CapturedLog]:
    log = CapturedLog()
    return run_flow(main, run_env(**env), log.logger, handle_signals=False), log


class MapsHowAFlowEndsToTheContractsExitCode(unittest.TestCase):
    def test_returning_is_success(self) -> None:
        code, log = ends(lambda context: None)
        self.assertEqual(code, ExitCode.SUCCESS)
        self.assertEqual(log.messages(), ["flow started", "flow succeeded"])

    def test_an_exception_is_a_flow_error_logged_with_its_name_and_message(self) -> None:
        def main(context: FlowContext) -> None:
            raise RuntimeError("warehouse unreachable")

        code, log = ends(main)
        self.assertEqual(code, ExitCode.FLOW_ERROR)
        self.assertEqual(log.lines[-1]["level"], "ERROR")
        self.assertEqual(log.lines[-1]["error"], {"name": "RuntimeError", "message": "warehouse unreachable"})

    def test_a_configuration_error_is_78_which_is_never_retried(self) -> None:
        def main(context: FlowContext) -> None:
            raise ConfigurationError("Snowflake refused the key")

        code, log = ends(main)
        self.assertEqual(code, ExitCode.CONFIGURATION_ERROR)
        self.assertEqual(log.lines[-1]["message"], "configuration error: Snowflake refused the key")

    def test_a_missing_secret_ends_78_before_the_flow_starts(self) -> None:
        code, log = ends(lambda context: None, DATA_FLOWS_SECRETS="DBT_CLOUD_TOKEN")
        self.assertEqual(code, ExitCode.CONFIGURATION_ERROR)
        self.assertNotIn("flow started", log.messages())

    def test_every_line_carries_flow_run_and_attempt(self) -> None:
        _, log = ends(lambda context: context.logger.info("working"))
        self.assertEqual(
            {key: log.lines[1][key] for key in ("flow", "runId", "attempt", "service")},
            {"flow": "orders-load-py", "runId": "orders-load-py/s20261203T1000Z", "attempt": 2, "service": "data-flows"},
        )

    def test_a_watermark_from_a_flow_that_keeps_none_is_a_configuration_error(self) -> None:
        code, log = ends(lambda context: context.propose_watermark("2026-12-03"))
        self.assertEqual(code, ExitCode.CONFIGURATION_ERROR)
        self.assertIn("declare `watermark: true`", log.lines[-1]["message"])


FLOW = """
import time
from data_flows import run
def main(context):
    context.logger.info("working")
    {body}
run(main)
"""


def start(body: str, **env: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", FLOW.format(body=body)],
        env={**run_env(**env), "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(HELPER)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = json.loads(process.stdout.readline())
    while line["message"] != "working":
        line = json.loads(process.stdout.readline())
    return process


class StopsCleanlyOnSigterm(unittest.TestCase):
    def test_sigterm_interrupts_the_flow_and_exits_143(self) -> None:
        process = start("time.sleep(60)")
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=10), ExitCode.STOPPED)
        assert process.stdout is not None
        with process.stdout:
            last = json.loads(process.stdout.read().splitlines()[-1])
        self.assertEqual((last["level"], last["message"]), ("WARN", "flow stopped (SIGTERM)"))

    def test_a_flow_that_swallows_the_stop_is_still_ended_143_before_ecs_would_kill_it(self) -> None:
        # Stop timeout 1 s: the helper ends it at max(1 - 5, 1) = 1 s after SIGTERM, as ECS's SIGKILL would come at 1 s.
        body = "\n    ".join(["while True:", "    try:", "        time.sleep(60)", "    except BaseException:", "        pass"])
        process = start(body, DATA_FLOWS_STOP_TIMEOUT_SECONDS="1")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=10), ExitCode.STOPPED)
        self.assertLess(time.monotonic() - started, 5)
        assert process.stdout is not None
        process.stdout.close()


if __name__ == "__main__":
    unittest.main()
