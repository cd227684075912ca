import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from data_flows import ConfigurationError
from data_flows.watermark import DynamoWatermarkSink, WatermarkError, credentials_from


class StandIn:
    """A DynamoDB endpoint on 127.0.0.1 that keeps each request and answers from a list (status, body)."""

    def __init__(self, answers: list[tuple[int, dict]]) -> None:
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["content-length"]))
                stand_in.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": json.loads(body)})
                status, answer = answers.pop(0) if answers else (200, {})
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/x-amz-json-1.0")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sink_for(stand_in: StandIn) -> DynamoWatermarkSink:
    return DynamoWatermarkSink({"DATA_FLOWS_RUNS_TABLE": "runs", "DATA_FLOWS_DYNAMODB_ENDPOINT": stand_in.endpoint})


class ProposesOntoItsRunsItem(unittest.TestCase):
    def test_sends_one_conditional_update_of_the_proposal_attribute_reading_nothing_back(self) -> None:
        stand_in = StandIn([])
        self.addCleanup(stand_in.close)
        sink_for(stand_in).propose("orders-load-py/m1", 2, "2026-12-03T10:00:00Z", "2026-12-03T10:05:00.000Z")
        [request] = stand_in.requests
        self.assertEqual(request["headers"]["x-amz-target"], "DynamoDB_20120810.UpdateItem")
        self.assertTrue(request["headers"]["authorization"].startswith("AWS4-HMAC-SHA256 Credential=local/"))
        self.assertEqual(request["body"]["Key"], {"pk": {"S": "RUN#orders-load-py/m1"}, "sk": {"S": "RUN"}})
        self.assertEqual(request["body"]["ConditionExpression"], "attribute_exists(#pk)")
        self.assertEqual(request["body"]["ReturnValues"], "NONE")
        self.assertEqual(
            request["body"]["ExpressionAttributeValues"][":proposal"]["M"],
            {"value": {"S": "2026-12-03T10:00:00Z"}, "attempt": {"N": "2"}, "at": {"S": "2026-12-03T10:05:00.000Z"}},
        )

    def test_retries_throttling_and_server_faults(self) -> None:
        stand_in = StandIn(
            [
                (400, {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}),
                (500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"}),
            ]
        )
        self.addCleanup(stand_in.close)
        sink_for(stand_in).propose("orders-load-py/m1", 1, "v", "t")
        self.assertEqual(len(stand_in.requests), 3)

    def test_a_run_the_launcher_never_recorded_is_refused_at_once(self) -> None:
        stand_in = StandIn([(400, {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"})])
        self.addCleanup(stand_in.close)
        with self.assertRaisesRegex(WatermarkError, "run orders-load-py/m1 is not in table runs"):
            sink_for(stand_in).propose("orders-load-py/m1", 1, "v", "t")
        self.assertEqual(len(stand_in.requests), 1)

    def test_an_access_denied_is_reported_with_dynamodbs_message(self) -> None:
        stand_in = StandIn([(400, {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": "not allowed"})])
        self.addCleanup(stand_in.close)
        with self.assertRaisesRegex(WatermarkError, "AccessDeniedException: not allowed"):
            sink_for(stand_in).propose("orders-load-py/m1", 1, "v", "t")


class FindsTheTasksCredentials(unittest.TestCase):
    def test_asks_the_ecs_credentials_endpoint_for_the_task_role(self) -> None:
        asked: list[str] = []

        def fetch(url: str, headers: dict[str, str]) -> bytes:
            asked.append(url)
            return json.dumps({"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "Token": "t"}).encode()

        credentials = credentials_from({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"}, fetch)
        self.assertEqual(asked, ["http://169.254.170.2/v2/credentials/abc"])
        self.assertEqual((credentials.access_key_id, credentials.session_token), ("ASIA1", "t"))

    def test_without_a_task_role_it_is_a_configuration_error(self) -> None:
        with self.assertRaises(ConfigurationError):
            credentials_from({}, lambda url, headers: b"")

    def test_without_a_runs_table_the_task_cannot_propose(self) -> None:
        with self.assertRaisesRegex(ConfigurationError, "DATA_FLOWS_RUNS_TABLE is not set"):
            DynamoWatermarkSink({})


if __name__ == "__main__":
    unittest.main()
