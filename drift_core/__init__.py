"""drift_core: the DRIFT library (episodes, engines, store, weights, training, eval).

A plain library: it never imports prefect or mlflow (tests/drift_core/test_imports.py).
"""

__version__ = "0.1.0"
