"""Speed and quality measurements (docs/design.md §2: not tests; checkout only, never installed).

A package so that the GPU check (`python -m benchmarks.gpu_check`) and the tests import its modules by
name; the bench_*.py files still run as scripts (`python benchmarks/bench_train.py`).
"""
