"""The bot's own messages in Vietnamese and English: ``t(key, lang, **params)`` over one keyed catalogue."""

from __future__ import annotations

from datetime import timedelta
from string import Formatter
from typing import Literal

from bot.i18n import en, vi

Language = Literal["vi", "en"]
CATALOGUES: dict[str, dict[str, str]] = {"en": en.MESSAGES, "vi": vi.MESSAGES}

_UNITS = {
    "en": (
        ("week", "weeks"),
        ("day", "days"),
        ("hour", "hours"),
        ("minute", "minutes"),
        ("second", "seconds"),
    ),
    "vi": (("tuần", "tuần"), ("ngày", "ngày"), ("giờ", "giờ"), ("phút", "phút"), ("giây", "giây")),
}
_SIZES = (604800, 86400, 3600, 60, 1)


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The message ``key`` in ``lang`` (English when the language is unknown), filled with ``params``."""
    catalogue = CATALOGUES.get(lang, CATALOGUES["en"])
    template = catalogue.get(key) or CATALOGUES["en"][key]
    return template.format_map(_Params(params))


class _Params(dict[str, object]):
    # A placeholder left unfilled shows as itself instead of raising mid-moderation.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def placeholders(template: str) -> set[str]:
    """Names used as ``{name}`` in a template."""
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def human_duration(delta: timedelta | None, lang: str = "en") -> str:
    """``1 hour 30 minutes`` / ``1 giờ 30 phút``; ``None`` is permanent."""
    if delta is None:
        return t("duration.permanent", lang)
    seconds = int(delta.total_seconds())
    units = _UNITS.get(lang, _UNITS["en"])
    parts: list[str] = []
    for size, (one, many) in zip(_SIZES, units, strict=True):
        if seconds >= size:
            n, seconds = divmod(seconds, size)
            parts.append(f"{n} {one if n == 1 else many}")
        if len(parts) == 2:
            break
    return " ".join(parts) or f"0 {units[-1][1]}"
