"""Logging: tokens never reach a log line; settings from flags, env, defaults."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import structlog
from structlog.testing import capture_logs

from bot.config import Settings
from bot.logging import REDACTED, Redactor, configure

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_redactor_removes_configured_secrets_and_bot_urls() -> None:
    r = Redactor(["discord-secret-token"])
    event = r(
        None,
        "info",
        {
            "url": f"https://api.telegram.org/bot{TOKEN}/getMe",
            "nested": {"t": ["discord-secret-token"]},
            "n": 3,
        },
    )
    assert event["url"] == f"https://api.telegram.org/bot{REDACTED}/getMe"
    assert event["nested"] == {"t": [REDACTED]} and event["n"] == 3


def test_configured_json_lines_are_redacted_including_stdlib_and_exceptions() -> None:
    out = io.StringIO()
    configure("json", secrets=["discord-secret-token"], stream=out)
    structlog.get_logger("t").info("connected", token="discord-secret-token")
    logging.getLogger("httpx").warning("POST https://x/bot%s/getUpdates", TOKEN)
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        structlog.get_logger("t").exception("boom")
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_modbot", False)]:
        root.removeHandler(handler)
    text = out.getvalue()
    assert "discord-secret-token" not in text and TOKEN not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["event"] == "connected" and lines[0]["token"] == REDACTED


def test_events_are_data() -> None:
    with capture_logs() as logs:
        structlog.get_logger("t").info("case_recorded", case=1, rules=["r"])
    assert logs == [{"event": "case_recorded", "case": 1, "rules": ["r"], "log_level": "info"}]


def test_settings_flags_then_env_then_defaults(tmp_path: Path) -> None:
    env = {
        "MODBOT_DB": "env.db",
        "TELEGRAM_TOKEN": TOKEN,
        "DISCORD_GUILD_IDS": "1, 2",
        "MODBOT_LOG_FORMAT": "console",
    }
    s = Settings.from_env(rules="r.yaml", db="flag.db", env=env)
    assert s.db == Path("flag.db") and s.rules == Path("r.yaml") and s.log_format == "console"
    assert s.discord_guild_ids == (1, 2) and not s.playground and TOKEN not in repr(s)
    d = Settings.from_env(env={}, isatty=False)
    assert d.db == Path("modbot.db") and d.log_format == "json" and d.playground
    assert Settings.from_env(env=env).db == Path("env.db")
