import sqlite3
import tempfile
import unittest
from pathlib import Path

from data_flows import ConfigurationError, connect


class OpensTheDatabaseAUrlNames(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.path = Path(self.folder.name) / "warehouse.db"

    def test_opens_sqlite_by_absolute_path_with_qmark_placeholders(self) -> None:
        database = connect(f"sqlite://{self.path}")
        self.addCleanup(database.close)
        database.connection.execute("CREATE TABLE t (x)")
        self.assertEqual((database.dialect, database.placeholders(2)), ("sqlite", "?, ?"))
        self.assertTrue(self.path.exists())

    def test_read_only_never_creates_a_missing_file(self) -> None:
        with self.assertRaisesRegex(sqlite3.OperationalError, "unable to open database file"):
            connect(f"sqlite://{self.path}", read_only=True)
        self.assertFalse(self.path.exists())

    def test_read_only_refuses_writes(self) -> None:
        connect(f"sqlite://{self.path}").close()
        database = connect(f"sqlite://{self.path}", read_only=True)
        self.addCleanup(database.close)
        with self.assertRaisesRegex(sqlite3.OperationalError, "readonly"):
            database.connection.execute("CREATE TABLE t (x)")

    def test_an_unknown_scheme_names_the_known_ones(self) -> None:
        with self.assertRaisesRegex(ConfigurationError, 'unsupported database URL scheme "mysql:"; use one of sqlite'):
            connect("mysql://db/x")

    def test_a_server_database_without_its_driver_says_where_to_add_it(self) -> None:
        try:
            import psycopg  # noqa: F401  # pyright: ignore[reportMissingImports, reportUnusedImport]
        except ImportError:
            pass
        else:
            self.skipTest("psycopg is installed here")
        with self.assertRaisesRegex(ConfigurationError, "postgresql needs one of the drivers psycopg, psycopg2"):
            connect("postgresql://loader@warehouse/analytics")


if __name__ == "__main__":
    unittest.main()
