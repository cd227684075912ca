"""The run as a flow's code sees it, read from the contract's environment (docs/flow-contract.md)."""

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import cast

from .contract import MAX_WATERMARK_CHARACTERS, TaskEnv, secret_parameter_name
from .errors import ConfigurationError
from .external_url import AllowedUrl, check_external_url
from .log import FlowLogger

_ATTEMPT = re.compile(r"^[1-9][0-9]{0,5}$")
# As zod's z.stringbool() reads them, so a param means the same in either language.
_TRUE = {"true", "1", "yes", "on", "y", "enabled"}
_FALSE = {"false", "0", "no", "off", "n", "disabled"}


@dataclass(frozen=True)
class DataInterval:
    """The span of data this run is for, [start, end): load by it, never by the clock."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Params:
    """The run's params as text (the launcher checked them against the flow's declared schemas), read by type."""

    values: Mapping[str, str]

    def text(self, name: str) -> str:
        return self._get(name)

    def integer(self, name: str) -> int:
        raw = self._get(name)
        try:
            return int(raw.strip())
        except ValueError:
            pass
        # "1e3" and "5.0" are whole numbers to z.coerce.number().int(), which is what checked the value.
        number = self.number(name)
        if not number.is_integer():
            raise ConfigurationError(f'param {name} is "{raw}", not a whole number')
        return int(number)

    def number(self, name: str) -> float:
        raw = self._get(name)
        try:
            return float(raw)
        except ValueError:
            raise ConfigurationError(f'param {name} is "{raw}", not a number') from None

    def boolean(self, name: str) -> bool:
        raw = self._get(name).strip().lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ConfigurationError(f'param {name} is "{raw}", not true or false')

    def _get(self, name: str) -> str:
        if name not in self.values:
            known = ", ".join(sorted(self.values)) or "(none)"
            raise ConfigurationError(f"param {name} is not declared by this flow; it has {known}")
        return self.values[name]


@dataclass
class FlowContext:
    """What a flow's code receives: its inputs, its credentials and the means to report and to stop."""

    flow: str
    run_id: str
    attempt: int
    environment: str
    params: Params
    data_interval: DataInterval
    #: The watermark the flow's last successful run committed, as this attempt started (None before the first).
    watermark: str | None
    #: The declared secrets, by name. Never log these.
    secrets: Mapping[str, str]
    logger: FlowLogger
    #: The external hosts the flow's definition lists (`allowedHosts`): the only ones `external_url` accepts.
    allowed_hosts: tuple[str, ...] = ()
    #: Set when ECS stops the task (SIGTERM); FlowStopped is raised in the main thread at the same moment.
    stopping: threading.Event = field(default_factory=threading.Event)
    _propose: Callable[[str, int, str, str], None] | None = None

    def external_url(self, raw: str, source: str) -> AllowedUrl:
        """Checks a URL before a request (and a secret) goes to it: HTTPS to a host on `allowed_hosts`, or a loopback
        host when DATA_FLOWS_ENV is Local. Anything else is a ConfigurationError naming `source`, e.g. "param api"."""
        return check_external_url(
            raw, source, flow=self.flow, allowed_hosts=self.allowed_hosts, environment=self.environment
        )

    def metric(self, name: str, value: float) -> None:
        self.logger.metric(name, value)

    def propose_watermark(self, value: str) -> None:
        """Proposes the flow's next watermark; committed only if this attempt SUCCEEDS, and only forward.

        Compared as text: use ISO 8601 UTC instants or zero-padded numbers. The last proposal of an attempt counts.
        """
        # A caller without a type checker may pass anything; the check is for it.
        if not isinstance(value, str) or not 0 < len(value) <= MAX_WATERMARK_CHARACTERS:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(f"a watermark is text of 1 to {MAX_WATERMARK_CHARACTERS} characters")
        if self._propose is None:
            raise ConfigurationError(f'flow "{self.flow}" proposes a watermark: declare `watermark: true` in its flow.ts')
        at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._propose(self.run_id, self.attempt, value, at)
        self.logger.info("watermark proposed", watermark=value)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _instant(env: Mapping[str, str], name: str) -> datetime:
    raw = _required(env, name)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigurationError(f'{name} is not an ISO 8601 instant: "{raw}"') from None
    if parsed.tzinfo is None:
        raise ConfigurationError(f'{name} has no UTC offset: "{raw}"')
    return parsed.astimezone(timezone.utc)


def _params(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        parsed: object = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigurationError(f"{TaskEnv.PARAMS} is not JSON") from None
    if not isinstance(parsed, dict):
        raise ConfigurationError(f"{TaskEnv.PARAMS} must be a JSON object of strings")
    params: dict[str, str] = {}
    for name, value in cast(dict[str, object], parsed).items():
        if not isinstance(value, str):
            raise ConfigurationError(f"{TaskEnv.PARAMS} must be a JSON object of strings")
        params[name] = value
    return params


def read_context(
    env: Mapping[str, str],
    logger: FlowLogger,
    propose: Callable[[str, int, str, str], None] | None = None,
) -> FlowContext:
    """Reads and checks the contract's environment; a missing secret names its SSM parameter, never its value."""
    flow = _required(env, TaskEnv.FLOW)
    run_id = _required(env, TaskEnv.RUN_ID)
    attempt_text = _required(env, TaskEnv.ATTEMPT)
    if not _ATTEMPT.match(attempt_text):
        raise ConfigurationError(f"{TaskEnv.ATTEMPT} must be a positive integer")
    environment = _required(env, TaskEnv.ENVIRONMENT)
    interval = DataInterval(_instant(env, TaskEnv.INTERVAL_START), _instant(env, TaskEnv.INTERVAL_END))
    if interval.end < interval.start:
        raise ConfigurationError(f"{TaskEnv.INTERVAL_END} is before {TaskEnv.INTERVAL_START}")
    secrets: dict[str, str] = {}
    for name in filter(None, (part.strip() for part in env.get(TaskEnv.SECRET_NAMES, "").split(","))):
        value = env.get(name)
        if not value:
            raise ConfigurationError(
                f"secret {name} is missing: create SSM parameter {secret_parameter_name(environment, name)}"
            )
        secrets[name] = value
    return FlowContext(
        flow=flow,
        run_id=run_id,
        attempt=int(attempt_text),
        environment=environment,
        params=Params(_params(env.get(TaskEnv.PARAMS))),
        data_interval=interval,
        watermark=env.get(TaskEnv.WATERMARK) or None,
        secrets=secrets,
        logger=logger,
        allowed_hosts=tuple(filter(None, (part.strip() for part in env.get(TaskEnv.ALLOWED_HOSTS, "").split(",")))),
        _propose=propose,
    )
