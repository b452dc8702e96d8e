"""Settings from flags, else the environment, else defaults, as one frozen dataclass."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

LogFormat = Literal["json", "console"]


def resolve_rules_path(
    flag: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> str:
    """``--rules``, else ``$MODBOT_RULES``, else ``rules.yaml`` if present, else ``rules.example.yaml``."""
    if flag:
        return os.fspath(flag)
    value = (os.environ if env is None else env).get("MODBOT_RULES", "").strip()
    if value:
        return value
    return "rules.yaml" if Path("rules.yaml").exists() else "rules.example.yaml"


class SettingsError(ValueError):
    """A setting that cannot be used (e.g. a malformed DISCORD_GUILD_IDS)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``modbot run`` needs to start; tokens are kept out of ``repr``."""

    rules: Path
    db: Path = Path("modbot.db")
    telegram_token: str | None = field(default=None, repr=False)
    discord_token: str | None = field(default=None, repr=False)
    telegram_api_url: str | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    discord_guild_ids: tuple[int, ...] = ()
    log_format: LogFormat = "json"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line."""
        return tuple(t for t in (self.telegram_token, self.discord_token) if t)

    @property
    def playground(self) -> bool:
        """No platform token set: the console playground runs instead."""
        return not (self.telegram_token or self.discord_token)

    @classmethod
    def from_env(
        cls,
        rules: str | os.PathLike[str] | None = None,
        db: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        isatty: bool | None = None,
    ) -> Settings:
        """Flags (arguments) first, else ``env`` (default ``os.environ``), else the defaults."""
        e = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = e.get(name, "").strip()
            return value or None

        rules_path = resolve_rules_path(rules, e)
        fmt = get("MODBOT_LOG_FORMAT")
        if fmt is None:
            tty = sys.stderr.isatty() if isatty is None else isatty
            fmt = "console" if tty else "json"
        if fmt not in ("json", "console"):
            raise SettingsError(f'MODBOT_LOG_FORMAT: "{fmt}" is not json or console')
        guilds: list[int] = []
        for part in (get("DISCORD_GUILD_IDS") or "").split(","):
            if part.strip():
                if not part.strip().isdigit():
                    raise SettingsError(f'DISCORD_GUILD_IDS: "{part.strip()}" is not a guild id')
                guilds.append(int(part))
        return cls(
            rules=Path(rules_path),
            db=Path(db or get("MODBOT_DB") or "modbot.db"),
            telegram_token=get("TELEGRAM_TOKEN"),
            discord_token=get("DISCORD_TOKEN"),
            telegram_api_url=get("TELEGRAM_API_URL"),
            discord_api_url=get("DISCORD_API_URL"),
            discord_gateway_url=get("DISCORD_GATEWAY_URL"),
            discord_guild_ids=tuple(guilds),
            log_format=fmt,  # type: ignore[arg-type]
        )
