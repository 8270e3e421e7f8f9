"""The shipped configs, installed as the package `drift_configs` (drift_core.resources.configs_dir())."""
