# MarketFlow's image: the CLI, the API and the report site's build, run as a non-root user.
#   docker build -t marketflow .
#   docker run --rm marketflow demo                    # the bundled demo, in the container
#   docker run --rm -p 8000:8000 marketflow            # the API (serve), on DuckDB by default
# deploy/compose.yaml runs the production stack (PostgreSQL, an S3 server, the API, a scheduled
# run). Not built on the development machines (no engine, no base image there): linted by
# hadolint in tests/unit/test_containers.py.

FROM python:3.11-slim-bookworm AS python-deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.lock
COPY pipelines/ pipelines/
COPY api/ api/
COPY marketflow/ marketflow/
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps .

FROM node:20-bookworm-slim AS site-deps
WORKDIR /src/reports
COPY reports/package.json reports/package-lock.json ./
COPY reports/patches/ patches/
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="MarketFlow" \
      org.opencontainers.image.description="Market data from providers to a checked warehouse, an API and reports" \
      org.opencontainers.image.licenses="Apache-2.0"
# Node for `marketflow report` (the Evidence build), from the image that installed its modules;
# it needs the C++ runtime, which the slim Python image lacks. Unpinned on purpose: the stable
# release's current libstdc++ with its security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=site-deps /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
# The project folder is the user's: runs write data/, logs/ and SQLMesh's .cache/ in it.
RUN groupadd --system --gid 10001 marketflow \
    && useradd --system --uid 10001 --gid marketflow --home-dir /app --shell /usr/sbin/nologin marketflow \
    && chown marketflow:marketflow /app
COPY --from=python-deps /opt/venv /opt/venv
COPY --chown=marketflow:marketflow config.yaml external_models.yaml ./
COPY --chown=marketflow:marketflow .dlt/config.toml .dlt/config.toml
COPY --chown=marketflow:marketflow models/ models/
COPY --chown=marketflow:marketflow macros/ macros/
COPY --chown=marketflow:marketflow audits/ audits/
COPY --chown=marketflow:marketflow checks/ checks/
COPY --chown=marketflow:marketflow tests/sqlmesh/ tests/sqlmesh/
COPY --chown=marketflow:marketflow reports/ reports/
COPY --chown=marketflow:marketflow --from=site-deps /src/reports/node_modules reports/node_modules
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    MARKETFLOW_CONFIG=/app/config.yaml
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["marketflow"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
