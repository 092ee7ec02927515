# syntax=docker/dockerfile:1
# catcpanel: docker build -t catcpanel . && docker run -p 8000:8000 -v catcpanel:/data catcpanel
# docs/self-hosting.md explains the settings, compose.yaml, backups and upgrades.

FROM python:3.11-slim-bookworm AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /build
COPY pyproject.toml ./
# The project installs no package of its own ([tool.setuptools] packages = []): wheel only its
# dependencies, read from pyproject.toml so that the list lives in one place.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt \
    && cp requirements.txt /wheels/requirements.txt


FROM python:3.11-slim-bookworm

# MALLOC_ARENA_MAX: glibc gives each thread that allocates its own arena (up to 8 per core), and
# the servers page's fan-out runs many threads; two arenas cut a worker's peak from 335 to 287 MB
# in the full benchmark (docs/performance.md).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CATCPANEL_DATA_DIR=/data \
    CATCPANEL_GENERATE_KEY=true \
    PORT=8000

# A fixed numeric uid, so that `runAsNonRoot` can verify it and a bind mount can be chown'ed to it.
RUN groupadd --system --gid 10001 catcpanel \
    && useradd --system --uid 10001 --gid catcpanel --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin catcpanel \
    && mkdir /data \
    && chown catcpanel:catcpanel /data \
    && chmod 0700 /data

# Installed from the builder's wheels through a bind mount: no index, no cache, and the wheels
# themselves never become a layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels -r /wheels/requirements.txt

WORKDIR /app
# Owned by root and read-only to the panel's user: only /data is writable.
COPY . .

# The settings refuse to load without SECRET_KEY: a throwaway value for this RUN only (it is not
# in the image's environment), and a scratch data folder so that nothing is left in /data.
RUN SECRET_KEY=collectstatic-at-build-time-only CATCPANEL_DATA_DIR=/tmp/build-data \
        python manage.py collectstatic --no-input --verbosity 0 \
    && rm -rf /tmp/build-data

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
