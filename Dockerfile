# syntax=docker/dockerfile:1.7
# One image for every role of melmastoon-ai: web, signer, worker, beat, migrate, release, edge-models,
# bootstrap or any manage.py command (melmastoon_ai/entrypoint.py). Debian 12 slim with Debian's
# Python 3.11, a virtualenv of pinned wheels built in the first stage, no compiler or build tool in the
# second, a non-root user, and nothing fetched at run time (docs/deployment.md).
#
#   docker build -t melmastoon-ai --build-arg MELMASTOON_BUILD="$(git rev-parse HEAD)" .
#
# BASE_IMAGE is the official debian:bookworm-slim; scripts/build_image.sh builds the same Dockerfile
# on a base made from Debian's own packages (debootstrap) where no registry is reachable.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# Debian's stable point releases patch these in place; pinning exact versions would only break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
COPY requirements.txt requirements.lock /tmp/
# Wheels only (every pin has a manylinux wheel): nothing is compiled, so neither stage needs a compiler.
# requirements.lock pins every transitive package too (scripts/lock_requirements.sh). `build_ca`: an
# optional CA bundle for a network that inspects TLS (scripts/build_image.sh passes the machine's); it is
# mounted for this step alone and never stored in a layer.
RUN --mount=type=secret,id=build_ca,required=false \
    if [ -s /run/secrets/build_ca ]; then export PIP_CERT=/run/secrets/build_ca; fi \
    && /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt -c /tmp/requirements.lock \
    && /opt/venv/bin/pip check \
    && /opt/venv/bin/pip uninstall --yes pip

FROM ${BASE_IMAGE}
ARG MELMASTOON_BUILD=""
ENV DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 melmastoon \
    && useradd --system --uid 10001 --gid melmastoon --home-dir /app --no-create-home --shell /usr/sbin/nologin melmastoon \
    && mkdir -p /var/lib/melmastoon/edge-models /var/lib/melmastoon/manifest-keys \
    && chown -R melmastoon:melmastoon /var/lib/melmastoon
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=melmastoon_ai.settings.base \
    DEPLOYMENT_ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    MELMASTOON_VAR_DIR=/var/lib/melmastoon \
    EDGE_MODEL_DIR=/var/lib/melmastoon/edge-models \
    MANIFEST_LOCAL_KEY_DIR=/var/lib/melmastoon/manifest-keys \
    MELMASTOON_BUILD=${MELMASTOON_BUILD}
# Static files collected into the image (settings need a database URL to load; nothing connects), and
# the code compiled once, since /app is not writable at run time.
RUN DATABASE_URL=postgresql://build@127.0.0.1:1/build REDIS_URL=redis://127.0.0.1:1/0 SECRET_KEY=build-only \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
ENTRYPOINT ["python", "-m", "melmastoon_ai.entrypoint"]
CMD ["web"]
