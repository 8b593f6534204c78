# syntax=docker/dockerfile:1
# otel-ovh: OVHcloud Public Cloud consumption as OpenTelemetry / Prometheus metrics.
#   docker build -t otel-ovh .
#   docker run --rm -p 9464:9464 otel-ovh serve --demo
#   docker run --rm -p 9464:9464 -v "$PWD/config.yaml:/etc/otel-ovh/config.yaml:ro" \
#     otel-ovh serve --config /etc/otel-ovh/config.yaml
# Settings can also come from the environment alone: OTEL_OVH_<SECTION>__<KEY>.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install the package and its dependencies into a virtual env
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/otel-ovh
ENV PATH=/opt/otel-ovh/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY otel_ovh ./otel_ovh
RUN pip install --no-cache-dir .

# ---- runtime: the virtual env only, run as an unprivileged user
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="otel-ovh" \
      org.opencontainers.image.description="OVHcloud Public Cloud consumption as OpenTelemetry metrics" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 otel-ovh \
 && useradd --system --uid 10001 --gid otel-ovh --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin otel-ovh \
 && mkdir -p /etc/otel-ovh /var/lib/otel-ovh \
 && chown otel-ovh:otel-ovh /var/lib/otel-ovh
COPY --from=build /opt/otel-ovh /opt/otel-ovh
ENV PATH=/opt/otel-ovh/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OTEL_OVH_PROMETHEUS__HOST=0.0.0.0
USER 10001:10001
# Where `backfill --out` can write in a read-only container (a volume mounted here takes its owner).
VOLUME ["/var/lib/otel-ovh"]
EXPOSE 9464
# The port follows OTEL_OVH_PROMETHEUS__PORT when set (the port of a config file is not seen here).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('OTEL_OVH_PROMETHEUS__PORT', '9464') + '/healthz', timeout=4)"]
ENTRYPOINT ["otel-ovh"]
CMD ["serve"]
