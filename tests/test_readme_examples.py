"""The examples in README.md and docs/*.md work as written.

Every fenced block (```bash, ```sql, ```python; ```text for what is not code) is split into examples:
one per shell command (comments dropped, `\\` continuations joined), one per SQL or Python block.
Each example is either run here or matched by SKIP / SKIP_BLOCKS with the reason it cannot run here,
so a new example fails this test until it is one or the other. What runs, against ONE fresh
workspace built per module in a temp dir laid out like a checkout (`.drift/`, `.venv` -> this venv):

- the stage commands (README "Commands") in order, each with the small --set items of SMALL_SETS
  appended where it would otherwise run at the default size; `drift import-jsonl traj.jsonl` imports
  what `drift export-jsonl traj.jsonl` wrote from the first rollout (the paper repo's format);
- then `drift run` with SMALL_SETS (what `make run` runs, at test sizes; tiny world of size `test`);
- `drift sql` lines verbatim (must print at least one row); SQL blocks through `drift sql`, their
  placeholders REFERENCE_MODEL / TRAINED_MODEL replaced by the models `drift run` evaluated;
- Python blocks in the checkout directory with MLFLOW_TRACKING_URI unset (they set the URI
  themselves), with `DIR` (the tiny world) and `messages` defined for blocks that use them;
- `mlflow ui --backend-store-uri ...` with --host/--port appended: healthy, and it serves the
  registered model; then stopped;
- the Prefect block: `prefect server start` is the session's `prefect_server` fixture (the same plain
  command, drift_core/testing/servers.py); `export PREFECT_API_URL=...` with that server's address;
  `drift serve --name drift` until the deployment exists, then stopped; then the README's
  `prefect deployment run drift-pipeline/drift --param ...` verbatim: the flow run is created with
  the override (and deleted: executing such a run is tests/ui/test_served_pipeline.py's job).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LANGS = {"bash", "sql", "python", "text"}

# tests/flows/test_drift_pipeline.py's tiny sizes, as --set items.
SMALL = ["prompts.limit=6", "eval_prompts.limit=6", "rollout.n=2", "rollout.max_new_tokens=6",
         "protocol.max_turns=2", "train.max_steps=2", "train.per_device_train_batch_size=4",
         "eval.max_new_tokens=6"]


def sets(*items: str) -> str:
    return " ".join(f"--set {item}" for item in items)


# Stage commands run in this order on the workspace (before `drift run`), with these items appended.
STAGES = {
    "drift rollout --n 8": sets("prompts.limit=6", "rollout.max_new_tokens=6", "protocol.max_turns=2"),
    "drift weights --scheme drift --beta 0.1 --gamma 0.9": "",
    "drift train --scheme drift --out .drift/models/drift": sets("train.max_steps=2",
                                                                  "train.per_device_train_batch_size=4"),
    "drift eval --model .drift/models/drift": sets("eval_prompts.limit=6", "eval.max_new_tokens=6",
                                                    "protocol.max_turns=2"),
    "drift import-jsonl traj.jsonl": "",
}
PREFECT_BLOCK = {
    "prefect server start": "fixture",
    "export PREFECT_API_URL=http://127.0.0.1:4200/api": "env",
    "drift serve --name drift": "serve",
    "prefect deployment run drift-pipeline/drift --param 'overrides=[\"weights.beta=0.5\"]'": "run",
}
MLFLOW_UI = "mlflow ui --backend-store-uri sqlite:///.drift/mlflow.db"

# A command that re.fullmatch-es one of these is not run, for this reason.
SKIP = {
    r"make run": "installs .venv and runs the default-size pipeline (minutes); the workspace here is "
                 "built by the same `drift run` at test sizes",
    r"make test|make test-fast|make lint": "the suite itself / ruff: what CI's .ci/run and developers run",
    r"make venv GPU=1|\.venv/bin/drift run --config configs/qwen2\.5-3b\.yaml":
        "needs a GPU machine and the model hub",
    r"python3 -m venv ~/drift-env && .*|~/drift-env/bin/pip install .*"
    r"|cd \"\$\(mktemp -d\)\" && ~/drift-env/bin/drift run":
        "a fresh venv from the package index (minutes); tests/test_packaging.py builds the wheel and runs "
        "it outside the checkout",
    r"duckdb \.drift/warehouse\.duckdb": "the interactive duckdb CLI, not a dependency (the same tables are "
                                         "queried through `drift sql` here)",
    r"accelerate launch --config_file configs/accelerate/(fsdp|deepspeed_zero3)\.yaml .*":
        "needs several GPUs (tests/drift_core/test_train_cli.py runs `accelerate launch` on one CPU)",
    r"drift compare|drift sweep": "the default sizes: 19 min and more on 2 CPU cores (measured 2026-12-07)",
    r"drift compare --quick": "about a minute on its own workspace; tests/flows/test_compare.py runs it",
    r"drift compare --world (arithmetic|choice) --answer": "every arm and online GRPO at the default size (the "
    "60-minute budget of docs/design.md §10); tests/flows/test_compare_grpo.py runs its parts at quick size",
}
# Every command of a block whose text matches one of these is not run.
SKIP_BLOCKS = {
    r"docker compose": "the compose stack (Docker, images from the network); tests/test_compose.py checks "
                       "its files",
    r"tables_uri=s3://my-bucket": "needs an S3 bucket and its keys; tests/cli/test_tables_s3_cli.py runs these "
                                  "commands on a local S3 server",
    r"runner\.kind=ray": "Ray clusters (GPU nodes for the vLLM one); tests/tasks/test_shards.py runs the rollout "
                         "and evaluation shards on a local Ray cluster of 2 CPU workers",
}


@dataclass(frozen=True)
class Example:
    file: str
    line: int
    lang: str
    text: str  # one command (bash) or the whole block (sql, python)
    block: str

    @property
    def id(self) -> str:
        head = re.sub(r"[^\w.@=-]+", "_", self.text.splitlines()[0])[:40]
        return f"{self.file}:{self.line}:{head}"


def strip_comment(line: str) -> str:
    """The line without its shell comment (a # at the start or after a blank, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def fenced_blocks() -> list[tuple[str, int, str, str]]:
    out = []
    for path in DOC_FILES:
        text = path.read_text()
        for m in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```", text, re.M | re.S):
            out.append((str(path.relative_to(REPO)), text[: m.start()].count("\n") + 1, m.group(1), m.group(2)))
    return out


def examples() -> list[Example]:
    out = []
    for file, line, lang, block in fenced_blocks():
        if lang == "bash":
            pending, start = "", 0
            for i, raw in enumerate(block.splitlines()):
                cmd = strip_comment(raw)
                if not pending:
                    start = i
                if cmd.endswith("\\"):
                    pending += cmd[:-1] + " "
                    continue
                cmd = (pending + cmd).strip()
                pending = ""
                if cmd:
                    out.append(Example(file, line + 1 + start, lang, cmd, block))
        elif lang in ("sql", "python"):
            out.append(Example(file, line, lang, block.strip(), block))
    return out


def plan(ex: Example) -> tuple[str, str]:
    """('skip', reason) or ('run', how)."""
    for pattern, why in SKIP_BLOCKS.items():
        if re.search(pattern, ex.block):
            return "skip", why
    if ex.lang in ("sql", "python"):
        return "run", ex.lang
    for pattern, why in SKIP.items():
        if re.fullmatch(pattern, ex.text):
            return "skip", why
    if re.fullmatch(r"(\.venv/bin/)?drift sql .*", ex.text):
        return "run", "drift-sql"
    if ex.text in STAGES:
        return "run", "stage"
    if ex.text in PREFECT_BLOCK:
        return "run", "prefect"
    if ex.text == MLFLOW_UI:
        return "run", "mlflow-ui"
    return "unplanned", ""


EXAMPLES = examples()


def test_every_fenced_block_names_its_language():
    bad = [f"{f}:{n}" for f, n, lang, _ in fenced_blocks() if lang not in LANGS]
    assert not bad, f"fenced blocks need one of {sorted(LANGS)} (text for what is not code): {bad}"


def test_skip_rules_are_in_use():
    """No stale entry: every skip rule and special runner matches an example in the docs."""
    texts = {ex.text for ex in EXAMPLES}
    blocks = {ex.block for ex in EXAMPLES}
    unused = [p for p in SKIP if not any(re.fullmatch(p, t) for t in texts)]
    unused += [p for p in SKIP_BLOCKS if not any(re.search(p, b) for b in blocks)]
    unused += [c for c in [*STAGES, *PREFECT_BLOCK, MLFLOW_UI] if c not in texts]
    assert not unused, f"rules that match no example any more: {unused}"


def test_prefect_server_start_needs_no_shim():
    """The README tells users plain `prefect server start`: the installed Prefect can mount its UI on the
    installed FastAPI (Prefect 3.9 calls FastAPI.frontend, FastAPI >= 0.139; 3.7 uses StaticFiles)."""
    import importlib.util
    from importlib.metadata import requires, version

    from fastapi import FastAPI
    from packaging.requirements import Requirement

    server_py = Path(importlib.util.find_spec("prefect").submodule_search_locations[0]) / "server/api/server.py"
    assert ".frontend(" not in server_py.read_text() or hasattr(FastAPI, "frontend"), (
        f"prefect {version('prefect')} mounts its UI with FastAPI.frontend, missing in fastapi {version('fastapi')}"
    )
    fastapi = [Requirement(r) for r in requires("prefect") if Requirement(r).name == "fastapi"]
    installed = version("fastapi")
    assert all(r.specifier.contains(installed, prereleases=True) for r in fastapi), (fastapi, installed)
    docs = "\n".join(p.read_text() for p in DOC_FILES)
    assert "prefect_compat" not in docs and not (REPO / "flows" / "prefect_compat.py").exists()
    assert "prefect server start" in PREFECT_BLOCK and any(ex.text == "prefect server start" for ex in EXAMPLES)


# -- the workspace and the runners --------------------------------------------------------------------
def sh(cmd: str, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def show(res: subprocess.CompletedProcess) -> str:
    return f"rc={res.returncode}\n--- stdout\n{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-3000:]}"


@dataclass
class Checkout:
    root: Path
    env: dict
    results: dict  # (runner, text) -> CompletedProcess or dict
    seconds: dict


@pytest.fixture(scope="module")
def checkout(tiny_world_dir, tmp_path_factory) -> Checkout:
    root = tmp_path_factory.mktemp("readme") / "checkout"
    shutil.copytree(tiny_world_dir, root / ".drift" / "tiny_world")
    (root / ".venv").symlink_to(Path(sys.prefix))
    # mlflow.set_tracking_uri / set_registry_uri export MLFLOW_*_URI, so earlier in-process tests leave them
    # pointing at their own stores: a user's fresh shell has neither.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFECT_API_URL", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "PREFECT_HOME",
                        "PREFECT_LOCAL_STORAGE_PATH")}
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "DRIFT_TINY_WORLD_SIZE": "test",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    co = Checkout(root, env, {}, {})
    for cmd in dict.fromkeys(ex.text for ex in EXAMPLES if plan(ex) == ("run", "stage")):
        if cmd == "drift import-jsonl traj.jsonl":  # the paper repo's JSONL: here `drift rollout`'s, exported
            prep = sh("drift export-jsonl traj.jsonl", root, env)
            assert prep.returncode == 0, show(prep)
        t0 = time.perf_counter()
        co.results["stage", cmd] = sh(f"{cmd} {STAGES[cmd]}".strip(), root, env)
        co.seconds[cmd] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    co.results["drift run"] = sh(f"drift run {sets(*SMALL)}", root, env, timeout=400)
    co.seconds["drift run"] = round(time.perf_counter() - t0, 1)
    assert co.results["drift run"].returncode == 0, show(co.results["drift run"])
    print(json.dumps({"seconds": co.seconds}))
    return co


def sql_rows(co: Checkout, query: str) -> list[dict]:
    res = sh(f"drift sql --format json {shlex_quote(query)}", co.root, co.env)
    assert res.returncode == 0, show(res)
    return [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]


def shlex_quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def run_sql_block(co: Checkout, ex: Example) -> None:
    models = [r["model"] for r in sql_rows(co, "select distinct model from eval_metrics")]
    # Models inside the workspace are stored relative to it (docs/design.md §5).
    values = {"REFERENCE_MODEL": "tiny_world",
              "TRAINED_MODEL": next(m for m in models if m.startswith("models/r-"))}  # drift run's candidate
    query = ex.text
    for name, value in values.items():
        query = query.replace(f"'{name}'", "'" + value.replace("'", "''") + "'")
    rows = sql_rows(co, query)
    assert rows, f"no rows from {ex.id}:\n{query}"


PY_PRELUDE = ("DIR = {dir!r}\n"
              "messages = [{{'role': 'user', 'content': 'What is 2 + 3?'}}]\n")


def run_python_block(co: Checkout, ex: Example) -> None:
    prelude = PY_PRELUDE.format(dir=str(co.root / ".drift" / "tiny_world"))
    res = subprocess.run([sys.executable, "-c", prelude + ex.text], cwd=co.root, env=co.env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, show(res)
    assert not (co.root / "mlflow.db").exists(), "the example created ./mlflow.db: no tracking URI set?"


def stop_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(10)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group (workers, flow-run subprocesses)
    proc.wait(5)


def http(method: str, url: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    try:
        return json.loads(raw) if raw else None
    except ValueError:  # /health answers plain text
        return raw.decode()


def wait_http(url: str, timeout: float, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited ({proc.returncode}) before {url} answered:\n{log.read_text()[-4000:]}")
        try:
            return http("GET", url)
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    raise AssertionError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-4000:]}")


def run_mlflow_ui(co: Checkout) -> None:
    from drift_core.testing.servers import free_port

    port = free_port()
    log = co.root.parent / "mlflow_ui.log"
    env = co.env | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", "-c", f"exec {MLFLOW_UI} --host 127.0.0.1 --port {port}"], cwd=co.root,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/health", 120, proc, log)
        model = http("GET", f"{base}/api/2.0/mlflow/registered-models/get?name=drift-policy")
        aliases = {a["alias"] for a in model["registered_model"].get("aliases", [])}
        assert "challenger" in aliases, model
    finally:
        stop_group(proc)


def run_prefect_block(co: Checkout, server) -> dict:
    """The README's UI block in order, against the session's Prefect server; returns command -> result."""
    api = f"{server.url}/api"
    out = {}
    out["prefect server start"] = server.proc.args  # the fixture's command line
    export = next(c for c, how in PREFECT_BLOCK.items() if how == "env")
    env = co.env | {k: v.replace("http://127.0.0.1:4200", server.url)
                    for k, v in [export.removeprefix("export ").split("=", 1)]}
    env["PREFECT_HOME"] = str(co.root.parent / "prefect_home")
    assert env["PREFECT_API_URL"] == api
    out[export] = env["PREFECT_API_URL"]
    serve_cmd = next(c for c, how in PREFECT_BLOCK.items() if how == "serve")
    log = co.root.parent / "serve.log"
    with log.open("wb") as f:
        serve = subprocess.Popen(["bash", "-c", f"exec {serve_cmd}"], cwd=co.root, env=env, stdout=f,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        dep = wait_http(f"{api}/deployments/name/drift-pipeline/drift", 180, serve, log)
    finally:
        stop_group(serve)  # the deployment stays registered; nothing will execute the run created next
    out[serve_cmd] = dep
    run_cmd = next(c for c, how in PREFECT_BLOCK.items() if how == "run")
    res = sh(run_cmd, co.root, env, timeout=120)
    out[run_cmd] = res
    m = re.search(r"UUID: ([0-9a-f-]{36})", res.stdout)
    if m:
        flow_run = http("GET", f"{api}/flow_runs/{m.group(1)}")
        out["flow_run"] = flow_run
        http("DELETE", f"{api}/flow_runs/{m.group(1)}")
    http("DELETE", f"{api}/deployments/{dep['id']}")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("ex", EXAMPLES, ids=[ex.id for ex in EXAMPLES])
def test_example(ex: Example, request):
    kind, how = plan(ex)
    if kind == "skip":
        pytest.skip(how)
    assert kind == "run", (f"{ex.id}: a new example: make it run here (a runner in this test) or add it to "
                           f"SKIP with the reason it cannot:\n{ex.text}")
    co: Checkout = request.getfixturevalue("checkout")
    if how == "stage":
        res = co.results["stage", ex.text]
        assert res.returncode == 0, show(res)
    elif how == "drift-sql":
        res = co.results.get(("sql", ex.text)) or sh(ex.text, co.root, co.env)
        co.results["sql", ex.text] = res
        assert res.returncode == 0, show(res)
        assert re.search(r"^[1-9]\d* rows?$", res.stdout, re.M), show(res)
    elif how == "sql":
        run_sql_block(co, ex)
    elif how in ("python", "mlflow-ui"):  # an example shown in two places runs once
        if (how, ex.text) not in co.results:
            try:
                run_python_block(co, ex) if how == "python" else run_mlflow_ui(co)
                co.results[how, ex.text] = None
            except AssertionError as exc:
                co.results[how, ex.text] = str(exc)
        assert co.results[how, ex.text] is None, co.results[how, ex.text]
    elif how == "prefect":
        if "prefect-block" not in co.results:
            co.results["prefect-block"] = run_prefect_block(co, request.getfixturevalue("prefect_server"))
        out = co.results["prefect-block"]
        got = out[ex.text]
        if PREFECT_BLOCK[ex.text] == "fixture":
            assert list(map(str, got[:3])) == [str(BIN / "prefect"), "server", "start"], got
        elif PREFECT_BLOCK[ex.text] == "serve":
            assert got["name"] == "drift" and got["parameters"]["config"]["rollout"], got
        elif PREFECT_BLOCK[ex.text] == "run":
            assert got.returncode == 0, show(got)
            assert out["flow_run"]["parameters"]["overrides"] == ["weights.beta=0.5"], out["flow_run"]
