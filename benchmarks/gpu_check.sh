#!/usr/bin/env bash
# Run benchmarks/gpu_check/ (python -m benchmarks.gpu_check) on a GPU machine that has torch, transformers, accelerate, peft and pyarrow
# but not the rest of drift's dependencies, and no network.
#
# The wheels in benchmarks/.gpu_wheels/ (fetched here by benchmarks/gpu_check_wheels.sh, carried to the
# device) whose distribution the machine's Python lacks, or has in an older version, are unpacked into a
# private folder that goes on PYTHONPATH: nothing is installed into the machine's site-packages, no pip and
# no index are needed, and a rerun unpacks nothing twice. The repo itself goes on PYTHONPATH (no install).
# Figures: $OUT/gpu_check.json (default benchmarks/out/gpu_check/). Extra arguments go to the check.
#
#   bash benchmarks/gpu_check.sh                             # on the GPU machine (< 8 minutes on an H200)
#   bash benchmarks/gpu_check.sh --preflight                 # only: which modules import there
#   PYTHON=.venv/bin/python bash benchmarks/gpu_check.sh --device cpu --tiny     # a dry run anywhere
#
# Settings: PYTHON (default python3), GPU_WHEELS (wheel folder), GPU_SITE (unpack folder, default
# $TMPDIR/drift-gpu-site), OUT, GPU_CHECK_TIMEOUT (hard stop in seconds, default 470: under the 8 minutes).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
py="${PYTHON:-python3}"
wheels="${GPU_WHEELS:-$here/.gpu_wheels}"
site="${GPU_SITE:-${TMPDIR:-/tmp}/drift-gpu-site}"
out="${OUT:-$repo/benchmarks/out/gpu_check}"
mkdir -p "$site" "$out"

if compgen -G "$wheels/*.whl" > /dev/null; then
  "$py" - "$wheels" "$site" <<'PY'
import importlib.metadata as md
import sys
import zipfile
from pathlib import Path

from packaging.version import Version  # a dependency of transformers, so present wherever it is

wheels, site = Path(sys.argv[1]), Path(sys.argv[2])
sys.path.insert(0, str(site))  # what an earlier run unpacked counts as present
for whl in sorted(wheels.glob("*.whl")):
    dist, version = whl.name.split("-")[:2]
    try:
        have = md.version(dist)
    except md.PackageNotFoundError:
        have = None
    if have is not None and Version(have) >= Version(version):
        print(f"gpu_check.sh: {dist} {have} present; {whl.name} not needed")
        continue
    # A wheel is a zip of site-packages content (+ .dist-info): unpacking it is what pip --target does
    # for the pure-Python and binary wheels carried here (none has scripts or data that matter).
    zipfile.ZipFile(whl).extractall(site)
    print(f"gpu_check.sh: {dist} {have or 'missing'} -> unpacked {whl.name}")
PY
else
  echo "gpu_check.sh: no wheels in $wheels (benchmarks/gpu_check_wheels.sh fetches them); using what is installed"
fi

export PYTHONPATH="$repo:$site${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# The script writes its JSON after every part, so a hard stop still leaves the parts that finished.
exec timeout -k 10 "${GPU_CHECK_TIMEOUT:-470}" "$py" -m benchmarks.gpu_check --out "$out" "$@"
