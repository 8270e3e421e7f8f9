"""Prefect flows. Importing this package does not import prefect (flows.defaults must run first)."""
