"""orders-load-py: upserts the orders that changed in its window into the warehouse, then proposes the watermark.

The window is (watermark, interval end) when the flow has a watermark and `from_watermark` is true, else the data
interval [start, end). The load is one warehouse transaction: a failed check rolls it back, and the proposed watermark
is committed by the control plane only if the attempt SUCCEEDS, so a failed run is loaded again by the next one.
"""

from datetime import datetime

from data_flows import FlowContext, connect, run

COLUMNS = ("id", "customer", "amount_cents", "status", "updated_at")
WAREHOUSE_TABLE = """
CREATE TABLE IF NOT EXISTS orders (
  id BIGINT PRIMARY KEY,
  customer TEXT NOT NULL,
  amount_cents BIGINT NOT NULL,
  status TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  loaded_by_run TEXT NOT NULL
)
"""


def iso(instant: datetime) -> str:
    """ISO 8601 UTC with milliseconds: the form `updated_at` is stored in, so text order is time order."""
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(context: FlowContext) -> None:
    params = context.params
    from_watermark = params.boolean("from_watermark") and context.watermark is not None
    lower = context.watermark if from_watermark else iso(context.data_interval.start)
    upper = iso(context.data_interval.end)
    context.logger.info("reading orders", window={"after" if from_watermark else "from": lower, "before": upper})

    source = connect(params.text("source"), read_only=True)
    try:
        comparison = ">" if from_watermark else ">="
        cursor = source.connection.cursor()
        cursor.execute(
            f"SELECT {', '.join(COLUMNS)} FROM orders WHERE updated_at {comparison} {source.placeholder}"
            f" AND updated_at < {source.placeholder} ORDER BY updated_at, id",
            (lower, upper),
        )
        rows = cursor.fetchall()
    finally:
        source.close()

    warehouse = connect(params.text("warehouse"))
    try:
        cursor = warehouse.connection.cursor()
        cursor.execute(WAREHOUSE_TABLE)
        updates = ", ".join(f"{column} = excluded.{column}" for column in (*COLUMNS[1:], "loaded_by_run"))
        cursor.executemany(
            f"INSERT INTO orders ({', '.join(COLUMNS)}, loaded_by_run) VALUES ({warehouse.placeholders(len(COLUMNS) + 1)})"
            f" ON CONFLICT (id) DO UPDATE SET {updates}",
            [(*row, context.run_id) for row in rows],
        )
        newest = max((row[4] for row in rows), default=None)
        if newest is not None and (context.watermark is None or newest > context.watermark):
            context.propose_watermark(newest)
        minimum = params.integer("min_rows")
        if len(rows) < minimum:
            raise RuntimeError(f"expected at least {minimum} orders in the window, found {len(rows)}; nothing loaded")
        warehouse.connection.commit()
    except BaseException:
        warehouse.connection.rollback()
        raise
    finally:
        warehouse.close()
    context.metric("orders_loaded", len(rows))


if __name__ == "__main__":
    run(main)
