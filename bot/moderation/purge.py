"""A moderator's purge: one case per member whose messages go, recorded before the deletes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.events import Author, PlatformName
from bot.moderation.executor import Executor, Intent
from bot.rules.actions import ActionSet
from bot.storage import cases as case_store


@dataclass(frozen=True, slots=True)
class Purged:
    """What a purge recorded and did: the cases, and how many deletes succeeded."""

    case_ids: tuple[int, ...]
    deleted: int


async def purge(
    executor: Executor,
    platform: PlatformName,
    community_id: str,
    channel_id: str,
    messages: Sequence[tuple[Author, str]],
    moderator: Author,
    reason: str,
    now: datetime,
) -> Purged:
    """Delete ``messages`` (author, message id) in ``channel_id``, intent first like every action.

    One case per member keeps each member's record honest without a case per message.
    """
    by_member: dict[str, tuple[Author, list[str]]] = {}
    for author, message_id in messages:
        by_member.setdefault(author.id, (author, []))[1].append(message_id)
    case_ids: list[int] = []
    deleted = 0
    for member, ids in by_member.values():
        intent = Intent(
            platform,
            community_id,
            member,
            now,
            ActionSet(delete=True),
            "moderator",
            reason=reason,
            channel_id=channel_id,
            moderator=moderator,
        )
        planned = [
            case_store.ActionIntent("delete", {"channel_id": channel_id, "message_id": mid})
            for mid in ids
        ]
        case_id, outcomes = await executor.run_moderator_case(intent, planned)
        case_ids.append(case_id)
        deleted += sum(outcome.status == case_store.DONE for outcome in outcomes)
    return Purged(tuple(case_ids), deleted)
