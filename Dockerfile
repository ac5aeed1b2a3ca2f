# One image for every qc service: web, worker, migrate (see docker-compose.yml).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    QC_DATA_DIR=/data \
    QC_LOG_JSON=true

WORKDIR /app
COPY pyproject.toml README.md ./
COPY qc ./qc
COPY web ./web
COPY scorecards ./scorecards
RUN pip install --no-compile -e . \
    && useradd --system --uid 10001 --home /data qc \
    && mkdir -p /data && chown qc /data

USER qc
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)" || exit 1
CMD ["qc", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]
