"""Privacy: erase stored message text from cases and reports older than
``privacy.keep_message_text``."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from bot.storage import Database
from bot.storage import cases as case_store
from bot.storage import reports as report_store

log = structlog.get_logger("bot.moderation.privacy")


async def erase_old_text(db: Database, now: datetime, keep: timedelta) -> int:
    """Remove message text (and matched excerpts) from cases, and reported messages' excerpts from
    reports, created before ``now - keep``; the cases and reports stay. Returns how many cases
    were erased."""
    async with db.transaction() as tx:
        erased = await case_store.erase_old_text(tx, now - keep, now)
        reports = await report_store.erase_old_text(tx, now - keep, now)
    if erased or reports:
        log.info("message_text_erased", cases=erased, reports=reports, older_than=str(keep))
    return erased
