"""What a flow raises to say how it ended; the runner turns each into the contract's exit code."""


class ConfigurationError(Exception):
    """The flow cannot run as configured (a missing secret, a bad param, a refused credential): exit 78, never retried."""


class FlowStopped(BaseException):
    """Raised in the flow's main thread when ECS stops the task (SIGTERM): exit 143.

    A BaseException, as KeyboardInterrupt is, so a flow's own `except Exception` does not swallow the stop.
    """
