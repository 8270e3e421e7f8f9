"""The `drift` command line (above flows/ and drift_core/)."""
