"""Replay: run a rules file over exported chat history (Telegram Desktop, DiscordChatExporter)."""

from bot.replay.problems import ExportFormat, ReadProblem, ReadStats, SkipReason
from bot.replay.readers import NotAnExport, detect_format, iter_export, iter_exports

__all__ = [
    "ExportFormat",
    "NotAnExport",
    "ReadProblem",
    "ReadStats",
    "SkipReason",
    "detect_format",
    "iter_export",
    "iter_exports",
]
