"""Structured log lines: one JSON object per line on stdout, shaped as the TypeScript runtime's (Powertools) lines."""

import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

LEVELS = {"DEBUG": 8, "INFO": 12, "WARN": 16, "ERROR": 20, "CRITICAL": 24, "SILENT": 28}


def _timestamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FlowLogger:
    """Writes `{"level", "message", "timestamp", "service", <keys>, <extra>}` lines; never raises for a value it meets."""

    def __init__(self, level: str = "INFO", stream: TextIO | None = None, service: str = "data-flows") -> None:
        self._threshold = LEVELS.get(level.upper(), LEVELS["INFO"])
        self._stream = stream
        self._keys: dict[str, Any] = {"service": service}

    def append_keys(self, **keys: Any) -> None:
        """Keys carried on every later line (flow, runId, attempt)."""
        self._keys.update(keys)

    def debug(self, message: str, **extra: Any) -> None:
        self._write("DEBUG", message, extra)

    def info(self, message: str, **extra: Any) -> None:
        self._write("INFO", message, extra)

    def warning(self, message: str, **extra: Any) -> None:
        self._write("WARN", message, extra)

    warn = warning

    def error(self, message: str, **extra: Any) -> None:
        self._write("ERROR", message, extra)

    def metric(self, name: str, value: float) -> None:
        """A figure (rows loaded, models built) as a log line: CloudWatch metric filters and people read it alike."""
        self._write("INFO", "metric", {"metric": {"name": name, "value": value}})

    def _write(self, level: str, message: str, extra: dict[str, Any]) -> None:
        if LEVELS[level] < self._threshold:
            return
        line = {"level": level, "message": message, "timestamp": _timestamp(), **self._keys, **extra}
        stream = self._stream or sys.stdout
        # default=str: a datetime or Decimal in `extra` is written as text, never a crash in the middle of a flow.
        stream.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")
        stream.flush()
