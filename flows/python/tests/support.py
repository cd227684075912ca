"""What the helper's tests share: a run's environment as ECS gives it, and a logger that keeps its lines."""

import io
import json
from typing import Any

from data_flows import FlowLogger


def run_env(**overrides: str) -> dict[str, str]:
    env = {
        "DATA_FLOWS_FLOW": "orders-load-py",
        "DATA_FLOWS_ENV": "Dev",
        "DATA_FLOWS_RUN_ID": "orders-load-py/s20261203T1000Z",
        "DATA_FLOWS_ATTEMPT": "2",
        "DATA_FLOWS_PARAMS": json.dumps({"steps": "3", "fail": "false"}),
        "DATA_FLOWS_INTERVAL_START": "2026-12-03T09:00:00.000Z",
        "DATA_FLOWS_INTERVAL_END": "2026-12-03T10:00:00.000Z",
        "DATA_FLOWS_SECRETS": "",
    }
    env.update(overrides)
    return env


class CapturedLog:
    """A FlowLogger writing into memory; `lines` are the parsed JSON objects."""

    def __init__(self, level: str = "DEBUG") -> None:
        self.stream = io.StringIO()
        self.logger = FlowLogger(level, self.stream)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def messages(self) -> list[str]:
        return [line["message"] for line in self.lines]
