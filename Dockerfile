# The service image. PostGIS runs in its own container (see docker-compose.yml).
# Run from /srv so that app/ and geo/ (with their templates, static files and migrations)
# are imported from the source tree.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv
COPY pyproject.toml README.md ./
COPY app ./app
COPY geo ./geo
RUN pip install .
COPY migrations ./migrations
COPY alembic.ini ./
COPY sample_layers ./sample_layers
COPY scripts ./scripts
# The web map's JavaScript is vendored in app/static/vendor (committed): no npm, no CDN.

RUN useradd --system --home /srv appuser && chown -R appuser /srv
USER appuser
EXPOSE 8000
# Wait for the database, migrate, load the sample layers (idempotent), then serve.
CMD ["sh", "-c", "until pg_isready -d \"$DATABASE_URL\" -q; do sleep 1; done; python -m app migrate && python -m app load-samples && python -m app serve --host 0.0.0.0 --port 8000"]
