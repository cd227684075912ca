"""The flow contract as a Python flow sees it (docs/flow-contract.md).

Every name here mirrors contracts/*.ts, the TypeScript side of the same contract; tests/unit/python-contract.test.ts
fails when the two disagree, so neither side can drift alone.
"""

from typing import Final


class TaskEnv:
    """Environment variables a flow container receives."""

    FLOW: Final = "DATA_FLOWS_FLOW"
    ENVIRONMENT: Final = "DATA_FLOWS_ENV"
    STOP_TIMEOUT_SECONDS: Final = "DATA_FLOWS_STOP_TIMEOUT_SECONDS"
    RUN_ID: Final = "DATA_FLOWS_RUN_ID"
    ATTEMPT: Final = "DATA_FLOWS_ATTEMPT"
    PARAMS: Final = "DATA_FLOWS_PARAMS"
    INTERVAL_START: Final = "DATA_FLOWS_INTERVAL_START"
    INTERVAL_END: Final = "DATA_FLOWS_INTERVAL_END"
    WATERMARK: Final = "DATA_FLOWS_WATERMARK"
    RUNS_TABLE: Final = "DATA_FLOWS_RUNS_TABLE"
    DYNAMODB_ENDPOINT: Final = "DATA_FLOWS_DYNAMODB_ENDPOINT"
    SECRET_NAMES: Final = "DATA_FLOWS_SECRETS"
    ALLOWED_HOSTS: Final = "DATA_FLOWS_ALLOWED_HOSTS"
    LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"


class ExitCode:
    """What a flow container's exit code tells the recorder (and the retry policy)."""

    SUCCESS: Final = 0
    FLOW_ERROR: Final = 1
    CONFIGURATION_ERROR: Final = 78
    KILLED: Final = 137
    STOPPED: Final = 143


#: The longest watermark a flow may propose.
MAX_WATERMARK_CHARACTERS: Final = 1024

#: The attribute of its run's item a flow's task may write: its watermark proposal.
WATERMARK_PROPOSAL_ATTRIBUTE: Final = "proposedWatermark"

#: ECS's own stop timeout when the task definition names none.
ECS_DEFAULT_STOP_TIMEOUT_SECONDS: Final = 30


def run_item_key(run_id: str) -> dict[str, str]:
    """The key of a run's item in the runs table."""
    return {"pk": f"RUN#{run_id}", "sk": "RUN"}


def secret_parameter_name(environment: str, name: str) -> str:
    """The SSM parameter ECS reads a declared secret from, e.g. /DataFlows/Dev/SNOWFLAKE_USER."""
    return f"/DataFlows/{environment}/{name}"
