# Image of the web, worker and beat processes of compose.yaml (README « Déployer pour une
# académie »). Not built on the development machine (no Docker there).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/admints
COPY requirements.txt ./
RUN python3 -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.txt \
    && touch .venv/.runtime
COPY . .
# The families' portal's DSFR files, pinned and sha512-checked, baked into the image.
RUN python3 scripts/fetch_dsfr.py
EXPOSE 8000
CMD ["make", "serve"]
