"""`drift promote` talks to MLflow only: its command module loads neither the Prefect tasks nor prefect."""

import subprocess
import sys

import pytest


@pytest.mark.slow  # a fresh interpreter imports the CLI
def test_promote_imports_no_tasks_and_no_prefect():
    code = (
        "import sys\n"
        "import cli.commands.orchestration_cmd as m\n"
        "import drift_mlflow.registry, drift_mlflow.tracking\n"  # what promote_cmd imports when it runs
        "assert callable(m.promote_cmd)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('tasks', 'prefect'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"drift promote imported: {out.stdout}"


def test_promote_unknown_version_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from cli.testing import drift

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert drift("promote", "no-such-model", "1", "--workspace", tmp_path / "ws") == 1
    out = capsys.readouterr()
    assert "cannot promote no-such-model v1" in out.out + out.err
