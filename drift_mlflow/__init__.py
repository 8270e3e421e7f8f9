"""MLflow without Prefect: the tracking store (setup), and the registry reads and the gate's alias move that
both the Prefect tasks (tasks.registry) and `drift promote` use. Importing it never imports prefect or tasks;
drift_core never imports it (drift_core stays free of mlflow, docs/design.md §4.1)."""
