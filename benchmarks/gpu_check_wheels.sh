#!/usr/bin/env bash
# Fetch the wheels benchmarks/gpu_check.sh carries to the GPU machine (CPython 3.12, manylinux x86_64) into
# benchmarks/.gpu_wheels/ (git-ignored). The machine has torch, transformers, accelerate, peft and pyarrow;
# drift also needs pydantic (+ its small dependencies), math-verify (+ latex2sympy2_extended, antlr4) and,
# for the warehouse stages, duckdb; drift_core.evaluate needs scipy (without it the eval stage falls back).
# Versions are this checkout's venv's (the ones the CPU tests ran with); sizes: ~60 MiB in all, scipy 34 MiB
# of it. The run tool carries at most 64 MiB per command: NO_SCIPY=1 leaves scipy out.
#
#   bash benchmarks/gpu_check_wheels.sh                 # -> benchmarks/.gpu_wheels/
#   NO_SCIPY=1 bash benchmarks/gpu_check_wheels.sh DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
dest="${1:-$here/.gpu_wheels}"
venv_py="${VENV_PYTHON:-$repo/.venv/bin/python}"
dists=(duckdb pydantic pydantic-core annotated-types typing-inspection typing-extensions math-verify
       latex2sympy2_extended antlr4-python3-runtime)
[[ "${NO_SCIPY:-0}" == 1 ]] || dists+=(scipy)
pins=()
for d in "${dists[@]}"; do
  pins+=("$d==$("$venv_py" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$d")")
done
mkdir -p "$dest"
rm -f "$dest"/*.whl  # only this set: gpu_check.sh unpacks every wheel it finds there
"$venv_py" -m pip download --only-binary=:all: --no-deps --python-version 3.12 --implementation cp \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_28_x86_64 -d "$dest" "${pins[@]}"
ls -l "$dest"
echo "total: $(du -cb "$dest"/*.whl | tail -1 | cut -f1 | awk '{printf "%.1f MiB", $1 / 1048576}')"
