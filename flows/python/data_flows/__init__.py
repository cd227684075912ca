"""data_flows: the Python side of the flow contract (docs/flow-contract.md), standard library only.

    from data_flows import FlowContext, run

    def main(context: FlowContext) -> None:
        context.logger.info("loading", start=context.data_interval.start)

    if __name__ == "__main__":
        run(main)
"""

from .context import DataInterval, FlowContext, Params
from .contract import ExitCode
from .errors import ConfigurationError, FlowStopped
from .external_url import AllowedUrl
from .log import FlowLogger
from .runner import run, run_flow
from .warehouse import connect

__all__ = [
    "AllowedUrl",
    "ConfigurationError",
    "DataInterval",
    "ExitCode",
    "FlowContext",
    "FlowLogger",
    "FlowStopped",
    "Params",
    "connect",
    "run",
    "run_flow",
]
