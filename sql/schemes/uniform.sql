-- uniform: every trajectory weighs 1 (plain SFT). A weight expression of drift_core/weight_schemes.py.
1.0
