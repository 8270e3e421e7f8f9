"""The SQL files, installed as the package `drift_sql` (found with drift_core.resources.sql_dir())."""
