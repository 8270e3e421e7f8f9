# syntax=docker/dockerfile:1
# Two images from one file (docker-compose.yml picks them by target):
#   mlflow  - the tracking server with its Postgres driver and S3 (MinIO) client
#   worker  - the drift project, for a Prefect process worker that runs the pipeline flows

FROM python:3.11-slim AS mlflow
RUN pip install --no-cache-dir "mlflow==3.17.2" "psycopg2-binary>=2.9" "boto3>=1.34"
EXPOSE 5000

FROM python:3.11-slim AS worker
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    DRIFT_REPO=/opt/drift \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1
WORKDIR /opt/drift
# torch first from the chosen index (CPU or CUDA), so the project's install never pulls another build.
RUN pip install --index-url "${TORCH_INDEX_URL}" torch
COPY pyproject.toml setup.py README.md ./
COPY drift_core ./drift_core
COPY cli ./cli
COPY flows ./flows
COPY tasks ./tasks
COPY sql ./sql
COPY configs ./configs
COPY prefect.yaml ./
RUN pip install -e . "psycopg2-binary>=2.9" "boto3>=1.34"
# The flow runs from /opt/drift (prefect.yaml's pull step sets it), workspaces live on a volume.
VOLUME ["/data"]
CMD ["prefect", "worker", "start", "--pool", "drift-process", "--type", "process"]
