# modbot: moderation bot for Discord and Telegram.
#   docker build -t modbot .
#   docker run -e TELEGRAM_TOKEN=... -e DISCORD_TOKEN=... -v "$PWD/data:/data" modbot
# Put rules.yaml in ./data (else the bundled rules.example.yaml is used); the database lives there too.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MODBOT_DB=/data/modbot.db \
    MODBOT_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
RUN pip install . && useradd --create-home --uid 10001 modbot && mkdir -p /data && chown modbot /data

COPY rules.example.yaml ./
COPY wordlists ./wordlists

USER modbot
VOLUME ["/data"]
# modbot reads MODBOT_RULES if set; otherwise rules.yaml in the working directory, else the example.
WORKDIR /data
ENV MODBOT_RULES=
CMD ["sh", "-c", "exec modbot run --rules \"${MODBOT_RULES:-$( [ -f /data/rules.yaml ] && echo /data/rules.yaml || echo /app/rules.example.yaml )}\""]
STOPSIGNAL SIGTERM
