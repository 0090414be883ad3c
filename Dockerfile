# One image for every Civic146 service: the command chooses the service and the process.
#   API:    gunicorn -c python:civic146.gunicorn_conf "intake.api:create_app()"
#   worker: python -m intake.worker
# See deploy/README.md.
#
# BASE_IMAGE: the official python:3.11-slim by default. Where no registry is reachable,
# deploy/container/base-image.sh builds civic146-base/python:3.11 from Debian 12's own packages
# (Debian's Python is 3.11 too) and the same file builds on it: --build-arg BASE_IMAGE=civic146-base/python:3.11.
# VERSION, REVISION, SOURCE: the OCI labels (make container-smoke passes pyproject's version and the
# git commit).
ARG BASE_IMAGE=python:3.11-slim

# --- build: install the project and its pinned dependencies into a virtualenv ----------------------
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first (pyproject.toml only), so a code change does not reinstall them.
COPY pyproject.toml ./
RUN mkdir -p services && /opt/venv/bin/pip install . && /opt/venv/bin/pip uninstall -y civic146
COPY services ./services
# The installer leaves with the sources: the final stage gets a virtualenv that can run the
# project and nothing that installs or builds.
RUN /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/python -c "import civic146, intake, deliberation, employment, mediation" \
    && /opt/venv/bin/pip uninstall -y pip setuptools

# --- runtime: the virtualenv only; no compiler, no pip, no caches, no sources ----------------------
FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="civic146" \
      org.opencontainers.image.description="Civic146 services (intake, deliberation, employment, mediation): API and worker, chosen by command" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin civic146
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    API_METRICS_ADDR=0.0.0.0 \
    API_METRICS_PORT=9101 \
    WORKER_METRICS_ADDR=0.0.0.0 \
    WORKER_METRICS_PORT=9100
USER 10001
WORKDIR /tmp
# 8000: the API; 9101: the API's metrics (gunicorn's master); 9100: the worker's metrics.
EXPOSE 8000 9101 9100
CMD ["gunicorn", "-c", "python:civic146.gunicorn_conf", "intake.api:create_app()"]
