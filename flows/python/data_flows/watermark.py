"""Proposes a watermark onto the attempt's own run item: one DynamoDB UpdateItem, signed with the task's credentials.

The flow's task role allows exactly this request (its own runs' keys, the proposal attribute, nothing read back), so
the body must stay as the TypeScript runtime's DynamoWatermarkSink sends it.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from .contract import WATERMARK_PROPOSAL_ATTRIBUTE, TaskEnv, run_item_key
from .errors import ConfigurationError
from .sigv4 import Credentials, sign

#: Where ECS serves a task role's credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is the path).
ECS_CREDENTIALS_HOST = "http://169.254.170.2"
#: Errors DynamoDB asks to be retried (throttling, a server fault); others are final.
RETRYABLE = ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError")
ATTEMPTS = 5


class WatermarkError(Exception):
    """The proposal could not be written."""


def credentials_from(env: Mapping[str, str], fetch: Callable[[str, dict[str, str]], bytes]) -> Credentials:
    """The task's credentials: from the environment, else from the ECS container credentials endpoint."""
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN") or None)
    relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if not relative and not full:
        raise ConfigurationError("no AWS credentials: the task has no task role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)")
    headers = {"Authorization": env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]} if env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") else {}
    answer = json.loads(fetch(f"{ECS_CREDENTIALS_HOST}{relative}" if relative else str(full), headers))
    return Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer.get("Token"))


def _fetch(url: str, headers: dict[str, str]) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return response.read()


class DynamoWatermarkSink:
    """Writes proposals to the runs table the task definition names (locally, `npm start`'s dynalite)."""

    def __init__(self, env: Mapping[str, str], fetch: Callable[[str, dict[str, str]], bytes] = _fetch) -> None:
        table = env.get(TaskEnv.RUNS_TABLE)
        if not table:
            raise ConfigurationError(f"{TaskEnv.RUNS_TABLE} is not set: the task cannot propose a watermark")
        self.table = table
        endpoint = env.get(TaskEnv.DYNAMODB_ENDPOINT)
        if endpoint:
            self.endpoint, self.region = endpoint.rstrip("/") + "/", "local"
            self._credentials: Callable[[], Credentials] = lambda: Credentials("local", "local")
        else:
            self.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
            if not self.region:
                raise ConfigurationError("AWS_REGION is not set: the task cannot find DynamoDB")
            self.endpoint = f"https://dynamodb.{self.region}.amazonaws.com/"
            self._credentials = lambda: credentials_from(env, fetch)

    def propose(self, run_id: str, attempt: int, value: str, at: str) -> None:
        key = run_item_key(run_id)
        body = {
            "TableName": self.table,
            "Key": {"pk": {"S": key["pk"]}, "sk": {"S": key["sk"]}},
            "UpdateExpression": "SET #proposal = :proposal",
            # Never create an item: a proposal is for a run the launcher recorded.
            "ConditionExpression": "attribute_exists(#pk)",
            "ExpressionAttributeNames": {"#proposal": WATERMARK_PROPOSAL_ATTRIBUTE, "#pk": "pk"},
            "ExpressionAttributeValues": {
                ":proposal": {"M": {"value": {"S": value}, "attempt": {"N": str(attempt)}, "at": {"S": at}}}
            },
            "ReturnValues": "NONE",
        }
        error = self._send("UpdateItem", json.dumps(body).encode("utf-8"))
        if error is None:
            return
        if error.endswith("ConditionalCheckFailedException"):
            raise WatermarkError(f"run {run_id} is not in table {self.table}: no watermark can be proposed for it")
        raise WatermarkError(f"DynamoDB refused the watermark proposal: {error}")

    def _send(self, operation: str, body: bytes) -> str | None:
        """None on success, else DynamoDB's error type (`…#ConditionalCheckFailedException`) and message."""
        last = ""
        for attempt in range(ATTEMPTS):
            headers = sign(
                "POST",
                self.endpoint,
                {"content-type": "application/x-amz-json-1.0", "x-amz-target": f"DynamoDB_20120810.{operation}"},
                body,
                self._credentials(),
                self.region,
                "dynamodb",
                datetime.now(timezone.utc),
            )
            request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10):
                    return None
            except urllib.error.HTTPError as failure:
                answer = json.loads(failure.read() or b"{}")
                kind = str(answer.get("__type", f"HTTP {failure.code}"))
                last = f"{kind}: {answer.get('message') or answer.get('Message') or ''}".strip()
                if failure.code < 500 and not kind.endswith(RETRYABLE):
                    return kind if kind.endswith("ConditionalCheckFailedException") else last
            except (urllib.error.URLError, TimeoutError, ConnectionError) as failure:
                last = f"{type(failure).__name__}: {failure}"
            time.sleep(min(0.05 * 2**attempt, 1.0))
        return last
