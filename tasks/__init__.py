"""Prefect tasks: thin wrappers over drift_core stages. Caching (content fingerprints) and MLflow
logging live here; the work itself lives in drift_core."""
