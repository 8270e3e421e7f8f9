"""`python -m benchmarks.gpu_check ...` (from the repository root; benchmarks/gpu_check.sh runs it on the device)."""

import sys

from benchmarks.gpu_check import main

sys.exit(main())
