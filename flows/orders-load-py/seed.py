"""Writes a demo source database for orders-load-py: `python3 flows/orders-load-py/seed.py /tmp/data-flows/shop.db`.

Orders updated every 10 minutes over the last day (UTC), so any hourly slot of it has six to load.
"""

import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path


def seed(path: str, now: datetime) -> int:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    rows = [
        (index, f"customer-{index % 7}", 100 * index, "paid" if index % 3 else "refunded",
         (start + timedelta(minutes=10 * index)).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        for index in range(1, 6 * 24 + 1)
    ]
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, customer TEXT, amount_cents INTEGER,"
            " status TEXT, updated_at TEXT)"
        )
        connection.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "/tmp/data-flows/shop.db"
    print(f"wrote {seed(target, datetime.now(timezone.utc))} orders to {target}")
