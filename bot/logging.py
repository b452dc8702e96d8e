"""structlog set-up, done once at start: JSON or console lines on stderr, tokens redacted."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog

# Telegram bot tokens look like 123456:ABC-def...; they appear in Bot API URLs (/bot<token>/...).
_TELEGRAM_TOKEN = re.compile(r"\b(bot)?(\d{5,}):[A-Za-z0-9_-]{20,}")
REDACTED = "[REDACTED]"


class Redactor:
    """A structlog processor that removes secrets from every string in the event dict."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s and len(s) >= 4)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TELEGRAM_TOKEN.sub(lambda m: f"{m.group(1) or ''}{REDACTED}", text)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._clean(v) for v in value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        text = str(value)
        cleaned = self.redact(text)
        return value if cleaned == text else cleaned

    def __call__(
        self, logger: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            event[key] = self._clean(value)
        return event


def configure(
    fmt: str = "json",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    level: int = logging.INFO,
) -> None:
    """Configure structlog and the stdlib root logger (discord.py, PTB, httpx) the same way.

    Loggers are not cached on first use, so modules may call ``structlog.get_logger`` at import
    time and still follow this configuration (and tests can reconfigure).
    """
    out = stream or sys.stderr
    redactor = Redactor(secrets)
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,  # render exceptions first so they get redacted
        redactor,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    # Library logs (e.g. httpx printing Bot API URLs, which carry the token) pass the same chain.
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_modbot", False):
            root.removeHandler(old)
    handler._modbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
