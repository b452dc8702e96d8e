"""modbot: moderation bot for Discord and Telegram."""

__version__ = "0.1.0"
