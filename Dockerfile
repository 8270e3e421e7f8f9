# syntax=docker/dockerfile:1
# Two images from one file (docker-compose.yml picks them by target):
#   mlflow  - the tracking server with its Postgres driver and S3 (MinIO) client
#   worker  - the drift project, for a Prefect process worker that runs the pipeline flows
# MLFLOW_VERSION and PREFECT_VERSION come from .env (docker-compose.yml passes them as build args):
# the worker's MLflow client is the server's version, its Prefect client the prefect-server image's.
ARG PYTHON_IMAGE=python:3.11.15-slim-bookworm
ARG MLFLOW_VERSION=3.17.2
ARG PREFECT_VERSION=3.7.7

FROM ${PYTHON_IMAGE} AS mlflow
ARG MLFLOW_VERSION
RUN pip install --no-cache-dir "mlflow==${MLFLOW_VERSION}" "psycopg2-binary>=2.9" "boto3>=1.34"
EXPOSE 5000

FROM ${PYTHON_IMAGE} AS worker
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG MLFLOW_VERSION
ARG PREFECT_VERSION
ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    DRIFT_REPO=/opt/drift \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1 \
    PIP_CONSTRAINT=/etc/drift-constraints.txt
# pyproject keeps ranges (mlflow>=3.0, prefect>=3.4) for users; the image pins both clients to the
# servers' versions with a constraint that every later pip call in the image honours too.
RUN printf 'mlflow==%s\nprefect==%s\n' "${MLFLOW_VERSION}" "${PREFECT_VERSION}" > /etc/drift-constraints.txt
WORKDIR /opt/drift
# torch first from the chosen index (CPU or CUDA), so the project's install never pulls another build.
RUN pip install --index-url "${TORCH_INDEX_URL}" torch
COPY pyproject.toml setup.py README.md ./
COPY drift_core ./drift_core
COPY cli ./cli
COPY flows ./flows
COPY tasks ./tasks
COPY drift_mlflow ./drift_mlflow
COPY sql ./sql
COPY configs ./configs
COPY worlds ./worlds
COPY prefect.yaml ./
RUN pip install -e ".[s3]" "psycopg2-binary>=2.9" "boto3>=1.34" \
    && python -c "import mlflow, prefect; assert mlflow.__version__ == '${MLFLOW_VERSION}', mlflow.__version__; assert prefect.__version__ == '${PREFECT_VERSION}', prefect.__version__"
# The flow runs from /opt/drift (prefect.yaml's pull step sets it), workspaces live on a volume.
VOLUME ["/data"]
CMD ["prefect", "worker", "start", "--pool", "drift-process", "--type", "process"]
