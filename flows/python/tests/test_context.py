import unittest
from datetime import datetime, timezone

from data_flows import ConfigurationError
from data_flows.context import read_context

from support import CapturedLog, run_env


def context_of(**overrides: str):
    return read_context(run_env(**overrides), CapturedLog().logger)


class ReadsTheRun(unittest.TestCase):
    def test_reads_flow_run_attempt_and_environment(self) -> None:
        context = context_of()
        self.assertEqual(
            (context.flow, context.run_id, context.attempt, context.environment),
            ("orders-load-py", "orders-load-py/s20261203T1000Z", 2, "Dev"),
        )

    def test_reads_the_data_interval_as_utc_instants(self) -> None:
        interval = context_of().data_interval
        self.assertEqual(interval.start, datetime(2026, 12, 3, 9, tzinfo=timezone.utc))
        self.assertEqual(interval.end, datetime(2026, 12, 3, 10, tzinfo=timezone.utc))

    def test_has_no_watermark_before_the_first_success(self) -> None:
        self.assertIsNone(context_of().watermark)
        self.assertEqual(context_of(DATA_FLOWS_WATERMARK="2026-12-03T08:59:00Z").watermark, "2026-12-03T08:59:00Z")

    def test_hands_over_exactly_the_declared_secrets(self) -> None:
        context = context_of(DATA_FLOWS_SECRETS="SNOWFLAKE_USER", SNOWFLAKE_USER="loader", DBT_CLOUD_TOKEN="other")
        self.assertEqual(dict(context.secrets), {"SNOWFLAKE_USER": "loader"})


class RefusesABadEnvironment(unittest.TestCase):
    def assert_refused(self, message: str, **overrides: str) -> None:
        with self.assertRaises(ConfigurationError) as refused:
            context_of(**overrides)
        self.assertIn(message, str(refused.exception))

    def test_a_missing_secret_names_its_ssm_parameter_never_a_value(self) -> None:
        self.assert_refused(
            "secret SNOWFLAKE_USER is missing: create SSM parameter /DataFlows/Dev/SNOWFLAKE_USER",
            DATA_FLOWS_SECRETS="SNOWFLAKE_ACCOUNT,SNOWFLAKE_USER",
            SNOWFLAKE_ACCOUNT="xy12345",
        )

    def test_an_attempt_written_otherwise_than_the_launcher_writes_it(self) -> None:
        for attempt in ("0", "1.0", " 1", "0x1", "-1"):
            with self.subTest(attempt=attempt):
                self.assert_refused("DATA_FLOWS_ATTEMPT must be a positive integer", DATA_FLOWS_ATTEMPT=attempt)

    def test_a_variable_the_task_should_have(self) -> None:
        self.assert_refused("environment variable DATA_FLOWS_RUN_ID is not set", DATA_FLOWS_RUN_ID="")

    def test_params_that_are_not_a_json_object_of_strings(self) -> None:
        self.assert_refused("DATA_FLOWS_PARAMS is not JSON", DATA_FLOWS_PARAMS="{steps: 3}")
        self.assert_refused("must be a JSON object of strings", DATA_FLOWS_PARAMS='{"steps": 3}')

    def test_an_interval_that_ends_before_it_starts_or_has_no_offset(self) -> None:
        self.assert_refused("is before", DATA_FLOWS_INTERVAL_END="2026-12-03T08:00:00Z")
        self.assert_refused("has no UTC offset", DATA_FLOWS_INTERVAL_START="2026-12-03T09:00:00")


class ReadsParamsByType(unittest.TestCase):
    def params(self, **values: str):
        import json

        return context_of(DATA_FLOWS_PARAMS=json.dumps(values)).params

    def test_reads_booleans_as_zod_stringbool_does(self) -> None:
        for text, value in (("true", True), ("Yes", True), ("on", True), ("1", True), ("false", False), ("off", False), ("n", False)):
            with self.subTest(text=text):
                self.assertIs(self.params(fail=text).boolean("fail"), value)

    def test_reads_whole_numbers_as_z_coerce_number_int_does(self) -> None:
        self.assertEqual(self.params(steps="12").integer("steps"), 12)
        self.assertEqual(self.params(steps="1e3").integer("steps"), 1000)
        with self.assertRaises(ConfigurationError):
            self.params(steps="1.5").integer("steps")

    def test_an_undeclared_param_names_the_declared_ones(self) -> None:
        with self.assertRaises(ConfigurationError) as refused:
            self.params(steps="3").text("stpes")
        self.assertIn("param stpes is not declared by this flow; it has steps", str(refused.exception))


if __name__ == "__main__":
    unittest.main()


class ChecksAUrlFromParams(unittest.TestCase):
    def context(self, environment: str = "Dev"):
        return context_of(DATA_FLOWS_ENV=environment, DATA_FLOWS_ALLOWED_HOSTS="cloud.getdbt.com, *.us1.dbt.com")

    def test_reads_the_flows_allowed_hosts(self) -> None:
        self.assertEqual(self.context().allowed_hosts, ("cloud.getdbt.com", "*.us1.dbt.com"))
        self.assertEqual(context_of().allowed_hosts, ())

    def test_accepts_https_to_an_allowed_host(self) -> None:
        checked = self.context().external_url("https://AB123.us1.dbt.com:443/api/v2/", "param api")
        self.assertEqual(checked.href, "https://ab123.us1.dbt.com/api/v2/")

    def test_refuses_another_host_naming_the_param_and_the_allowed_hosts(self) -> None:
        with self.assertRaises(ConfigurationError) as refused:
            self.context().external_url("https://attacker.example/api", "param api")
        self.assertEqual(
            str(refused.exception),
            'param api points at host "attacker.example", which flow "orders-load-py" may not send requests to; '
            'allowedHosts of flow "orders-load-py": cloud.getdbt.com, *.us1.dbt.com (HTTPS only)',
        )

    def test_allows_loopback_only_in_local(self) -> None:
        self.assertEqual(self.context("Local").external_url("http://127.0.0.1:8080", "param api").port, 8080)
        with self.assertRaises(ConfigurationError):
            self.context("Dev").external_url("http://127.0.0.1:8080", "param api")

    def test_resolves_a_path_without_leaving_the_origin(self) -> None:
        base = self.context().external_url("https://cloud.getdbt.com/api/", "param api")
        self.assertEqual(base.resolve("/v2/accounts/1/"), "https://cloud.getdbt.com/api/v2/accounts/1/")
        self.assertEqual(base.resolve("x?y#z\\@attacker.example"), "https://cloud.getdbt.com/api/x%3Fy%23z%5C@attacker.example")
