"""Small real artifacts for tests and benchmarks (models built offline in seconds)."""
