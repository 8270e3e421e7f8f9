-- drift (the reference, docs/design.md §1): exp(R/beta) per prompt group, normalised to mean 1
-- (w_drift, computed in sql/weight_rows.sql). A weight expression of drift_core/weight_schemes.py.
w_drift
