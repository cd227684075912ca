"""The example load (flows/orders-load-py/main.py) against SQLite source and warehouse files."""

import importlib.util
import json
import sqlite3
import tempfile
import unittest
from datetime import datetime, timezone
from pathlib import Path

from data_flows import ExitCode, run_flow

from support import CapturedLog, run_env

FLOW_DIR = Path(__file__).resolve().parents[2] / "orders-load-py"


def load_module(name: str):
    spec = importlib.util.spec_from_file_location(f"orders_load_{name}", FLOW_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


flow = load_module("main")
seed = load_module("seed")


class LoadsOrders(unittest.TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.source = Path(folder.name) / "shop.db"
        self.warehouse = Path(folder.name) / "warehouse.db"
        # Orders every 10 minutes from 2026-12-02T10:00Z to 2026-12-03T10:00Z.
        seed.seed(str(self.source), datetime(2026, 12, 3, 10, 5, tzinfo=timezone.utc))
        self.proposals: list[str] = []

    def run_load(self, watermark: str | None = None, **params: str) -> tuple[int, CapturedLog]:
        values = {"source": f"sqlite://{self.source}", "warehouse": f"sqlite://{self.warehouse}", "from_watermark": "true", "min_rows": "0"}
        values.update(params)
        env = run_env(DATA_FLOWS_PARAMS=json.dumps(values), DATA_FLOWS_RUNS_TABLE="runs")
        if watermark:
            env["DATA_FLOWS_WATERMARK"] = watermark
        log = CapturedLog()
        return run_flow(flow.main, env, log.logger, handle_signals=False, watermarks=lambda env: self), log

    def propose(self, run_id: str, attempt: int, value: str, at: str) -> None:
        """The watermark sink of these runs: proposals are kept in a list."""
        self.proposals.append(value)

    def warehouse_rows(self) -> list[tuple]:
        with sqlite3.connect(self.warehouse) as connection:
            return connection.execute("SELECT id, updated_at FROM orders ORDER BY id").fetchall()

    def test_without_a_watermark_loads_the_data_interval_and_proposes_its_newest_change(self) -> None:
        code, log = self.run_load()
        self.assertEqual(code, ExitCode.SUCCESS)
        # [09:00, 10:00): the orders of 09:00, 09:10 … 09:50.
        self.assertEqual([row[1] for row in self.warehouse_rows()][0], "2026-12-03T09:00:00.000Z")
        self.assertEqual(len(self.warehouse_rows()), 6)
        self.assertEqual(self.proposals, ["2026-12-03T09:50:00.000Z"])
        self.assertIn({"name": "orders_loaded", "value": 6}, [line.get("metric") for line in log.lines])

    def test_with_a_watermark_loads_what_changed_after_it(self) -> None:
        self.run_load(watermark="2026-12-03T09:30:00.000Z")
        self.assertEqual([row[1] for row in self.warehouse_rows()], ["2026-12-03T09:40:00.000Z", "2026-12-03T09:50:00.000Z"])

    def test_loading_twice_upserts_the_same_rows(self) -> None:
        self.run_load()
        self.run_load()
        self.assertEqual(len(self.warehouse_rows()), 6)

    def test_proposes_nothing_when_nothing_is_newer_than_the_watermark(self) -> None:
        code, _ = self.run_load(watermark="2026-12-03T09:50:00.000Z")
        self.assertEqual((code, self.proposals, self.warehouse_rows()), (ExitCode.SUCCESS, [], []))

    def test_from_watermark_false_reloads_exactly_the_interval(self) -> None:
        self.run_load(watermark="2026-12-03T09:50:00.000Z", from_watermark="false")
        self.assertEqual(len(self.warehouse_rows()), 6)
        self.assertEqual(self.proposals, [])  # never backwards

    def test_too_few_rows_fails_rolls_the_load_back_and_says_why(self) -> None:
        code, log = self.run_load(min_rows="7")
        self.assertEqual(code, ExitCode.FLOW_ERROR)
        self.assertEqual(self.warehouse_rows(), [])
        self.assertEqual(log.lines[-1]["error"]["message"], "expected at least 7 orders in the window, found 6; nothing loaded")

    def test_a_missing_source_fails_naming_the_file(self) -> None:
        self.source.unlink()
        code, log = self.run_load()
        self.assertEqual(code, ExitCode.FLOW_ERROR)
        self.assertIn(str(self.source), log.lines[-1]["error"]["message"])


if __name__ == "__main__":
    unittest.main()
