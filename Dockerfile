# PolicyWatch: `docker build -t policywatch .`; with the headless browser for `render: browser`
# documents and 403 fallbacks: `docker build --build-arg WITH_BROWSER=true -t policywatch:browser .`
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG WITH_BROWSER=false
WORKDIR /src
COPY pyproject.toml README.md ./
COPY alerts alerts
COPY analysis analysis
COPY app app
COPY bot bot
COPY i18n i18n
COPY kinds kinds
COPY scraping scraping
COPY storage storage
COPY web web
RUN if [ "$WITH_BROWSER" = "true" ]; then target=".[browser]"; else target="."; fi \
    && pip wheel --no-cache-dir --wheel-dir /wheels "$target"

FROM ${PYTHON_IMAGE}
ARG WITH_BROWSER=false
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    DATABASE_URL=sqlite:////data/policywatch.db \
    LOG_FORMAT=json
# Chromium and a CJK font (without one, Chinese pages render as boxes) only in the browser variant.
RUN if [ "$WITH_BROWSER" = "true" ]; then \
        apt-get update && apt-get install -y --no-install-recommends chromium fonts-wqy-microhei \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin policywatch \
    && mkdir -p /data && chown policywatch /data
USER policywatch
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"WEB_PORT\"]}/healthz', timeout=4)"
STOPSIGNAL SIGTERM
CMD ["policywatch", "run"]
