"""Seen as a user sees it: real Prefect and MLflow servers on 127.0.0.1, `drift serve`, a deployment
run with a parameter override from the CLI, then both UIs in headless Chromium (screenshots under
the test's temp dir). Servers, the serve process and its flow-run subprocesses are stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
DEPLOYMENT = "drift-pipeline/ui-test"
CHROMIUM = "/usr/bin/chromium"
# Flags known to work on this machine's closed network (no background connections, no sandbox as root).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def tiny_sets(model: Path) -> list[str]:
    items = [f"rollout.model={model}", "prompts.source=arithmetic", "prompts.count=4", "prompts.levels=[1]",
             "eval_prompts.source=arithmetic", "eval_prompts.count=4", "eval_prompts.seed=7",
             "eval_prompts.levels=[1]", "rollout.n=2", "rollout.max_new_tokens=6", "protocol.max_turns=2",
             "train.max_steps=1", "train.per_device_train_batch_size=4", "eval.max_new_tokens=6"]
    return [arg for item in items for arg in ("--set", item)]


def api_client(url: str):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class Client:
        def __enter__(self):
            self._settings = temporary_settings({PREFECT_API_URL: url})
            self._settings.__enter__()
            self._client = get_client(sync_client=True).__enter__()
            return self._client

        def __exit__(self, *exc):
            self._client.__exit__(*exc)
            self._settings.__exit__(*exc)

    return Client()


def wait_for(fn, timeout: float, what: str, proc=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"serve exited while waiting for {what}:\n{log.read_text()[-4000:]}")
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{log.read_text()[-4000:]}" if log else ""))


@pytest.fixture(scope="module")
def served(prefect_server, mlflow_server, random_model_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    api = prefect_server.url + "/api"
    env = os.environ | {
        "PREFECT_API_URL": api, "MLFLOW_TRACKING_URI": mlflow_server.url, "PREFECT_HOME": str(tmp / "home"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    log = tmp / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [str(BIN / "drift"), "serve", "-w", str(tmp / "ws"), "--name", "ui-test", *tiny_sets(random_model_dir)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        with api_client(api) as client:
            def deployment():
                try:
                    return client.read_deployment_by_name(DEPLOYMENT)
                except Exception:
                    return None

            dep = wait_for(deployment, 120, "the deployment", serve, log)
            # What the README tells users: run the deployment with a changed parameter from the CLI.
            run = subprocess.run(
                [str(BIN / "prefect"), "deployment", "run", DEPLOYMENT, "--param", 'overrides=["weights.beta=0.5"]'],
                env=env, capture_output=True, text=True, timeout=120,
            )
            assert run.returncode == 0, run.stdout + run.stderr
            runs = client.read_flow_runs()
            flow_run = next(r for r in runs if r.deployment_id == dep.id)

            def finished():
                fr = client.read_flow_run(flow_run.id)
                return fr if fr.state and fr.state.is_final() else None

            final = wait_for(finished, 420, "the flow run to finish", serve, log)
        yield {"deployment": dep, "flow_run": final, "log": log, "prefect": prefect_server.url,
               "mlflow": mlflow_server.url}
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(serve.pid, sig)
            except ProcessLookupError:
                break
            try:
                serve.wait(10)
            except subprocess.TimeoutExpired:
                continue
        serve.wait(5)


def test_deployment_run_completes_with_the_override(served):
    fr = served["flow_run"]
    assert fr.state.name == "Completed", served["log"].read_text()[-4000:]
    assert fr.parameters["overrides"] == ["weights.beta=0.5"]
    # The deployment's defaults are what `drift serve` was given (tiny sizes), shown as typed fields.
    dep = served["deployment"]
    assert dep.parameters["config"]["rollout"]["n"] == 2
    assert dep.parameter_openapi_schema["definitions"]["WeightsConfig"]["properties"]["beta"]
    # The override took effect on top of the served config: the weights stage ran at beta 0.5.
    from mlflow.tracking import MlflowClient

    parent = next(t.split(":", 1)[1] for t in fr.tags if t.startswith("mlflow-run:"))
    client = MlflowClient(served["mlflow"])
    run = client.get_run(parent)
    stages = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{parent}'")
    weights = next(r for r in stages if r.data.tags["drift.stage"] == "weights")
    assert weights.data.params["beta"] == "0.5"
    assert next(r for r in stages if r.data.tags["drift.stage"] == "rollout").data.params["n"] == "2"


def test_uis_show_the_run_form_and_the_champion(served, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    shots = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            # Prefect: the deployment's custom run form: the one `config` parameter, a typed section per stage.
            page.goto(f"{served['prefect']}/deployments/deployment/{served['deployment'].id}/run")
            page.get_by_text("Weights (Optional)").first.wait_for(timeout=60_000)
            shots["prefect"] = tmp_path / "prefect_run_form.png"
            page.screenshot(path=str(shots["prefect"]), full_page=True)
            body = page.inner_text("body")
            for label in ("config (Optional)", "Protocol (Optional)", "Max Turns (Optional)", "Rollout (Optional)",
                          "Weights (Optional)", "Beta (Optional)", "Train (Optional)", "Registry (Optional)",
                          "overrides (Optional)", "Episode protocol.", "Maximum assistant turns per episode (K)."):
                assert label in body, f"{label!r} not on the run form"
            # Descriptions render as Markdown/HTML: a bare <answer> would be taken as a tag and vanish,
            # so the config's help texts put such code in backticks (the prefill field's shows here).
            assert "Start each assistant turn with <answer> (or <think> with think)" in body, \
                "the prefill field's help text lost its <answer>/<think> code on the run form"
            # The weights section, scrolled into view: its fields carry the config's help texts.
            page.get_by_text("Beta (Optional)").first.scroll_into_view_if_needed()
            shots["prefect_weights"] = tmp_path / "prefect_run_form_weights.png"
            page.screenshot(path=str(shots["prefect_weights"]))
            # MLflow: the registered model page with its aliases (challenger; champion only past the gate).
            page.goto(f"{served['mlflow']}/#/models/drift-policy")
            page.get_by_text("challenger").first.wait_for(timeout=60_000)
            shots["mlflow"] = tmp_path / "mlflow_registered_model.png"
            page.screenshot(path=str(shots["mlflow"]), full_page=True)
        finally:
            browser.close()
    for path in shots.values():
        assert path.stat().st_size > 10_000
    print(json.dumps({k: str(v) for k, v in shots.items()}))
