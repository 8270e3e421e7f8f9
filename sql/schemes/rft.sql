-- rft (rejection-sampling fine-tuning): 1 if solved else 0. A weight expression of
-- drift_core/weight_schemes.py.
solved::double
