"""Privacy: erase stored message text from cases older than ``privacy.keep_message_text``."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from bot.storage import Database
from bot.storage import cases as case_store

log = structlog.get_logger("bot.moderation.privacy")


async def erase_old_text(db: Database, now: datetime, keep: timedelta) -> int:
    """Remove message text (and matched excerpts) from cases created before ``now - keep``;
    the cases stay. Returns how many cases were erased."""
    async with db.transaction() as tx:
        erased = await case_store.erase_old_text(tx, now - keep, now)
    if erased:
        log.info("message_text_erased", cases=erased, older_than=str(keep))
    return erased
