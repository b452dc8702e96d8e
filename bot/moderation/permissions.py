"""Pure permission policy: an ordered Privilege and one ``can_act(actor, target)`` for all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from bot.events import Author


class Privilege(IntEnum):
    """How much a member may do; the order is the hierarchy."""

    MEMBER = 0
    MODERATOR = 1
    OWNER = 2
    BOT = 3  # the bot itself: acts for the rules, is never acted on


@dataclass(frozen=True, slots=True)
class Subject:
    """Someone who acts or is acted on: a platform user id and their privilege."""

    id: str
    privilege: Privilege


@dataclass(frozen=True, slots=True)
class Allowed:
    """The action may go ahead."""

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Refused:
    """Not allowed; ``reason`` is a stable code (an i18n key suffix), ``detail`` is for logs."""

    reason: str
    detail: str = ""

    def __bool__(self) -> bool:
        return False


# Stable reason codes, for i18n keys like "refused.target_is_moderator".
NOT_MODERATOR = "not_moderator"
SELF = "self"
TARGET_IS_MODERATOR = "target_is_moderator"
TARGET_IS_OWNER = "target_is_owner"
TARGET_IS_BOT = "target_is_bot"

_TARGET_REASON = {
    Privilege.MODERATOR: TARGET_IS_MODERATOR,
    Privilege.OWNER: TARGET_IS_OWNER,
    Privilege.BOT: TARGET_IS_BOT,
}


def privilege_of(
    author: Author, moderator_roles: Iterable[str] = (), *, bot_id: str | None = None
) -> Privilege:
    """A member's privilege from the adapter's flags and ``roles.moderators`` (names or ids)."""
    if author.is_bot and (bot_id is None or author.id == bot_id):
        return Privilege.BOT
    if author.is_owner:
        return Privilege.OWNER
    roles = frozenset(r.casefold() for r in moderator_roles) | frozenset(moderator_roles)
    if author.is_moderator or (roles and author.has_role(roles)):
        return Privilege.MODERATOR
    return Privilege.MEMBER


def subject(
    author: Author, moderator_roles: Iterable[str] = (), *, bot_id: str | None = None
) -> Subject:
    """``Subject`` for an ``Author``."""
    return Subject(author.id, privilege_of(author, moderator_roles, bot_id=bot_id))


def can_act(actor: Subject, target: Subject) -> Allowed | Refused:
    """May ``actor`` sanction ``target``? Moderators and up may act; nobody acts on a moderator,
    the owner or the bot, nor on themselves."""
    if actor.privilege < Privilege.MODERATOR:
        return Refused(NOT_MODERATOR, f"{actor.id} is not a moderator")
    if actor.id == target.id:
        return Refused(SELF, f"{actor.id} cannot act on themselves")
    if target.privilege > Privilege.MEMBER:
        return Refused(_TARGET_REASON[target.privilege], f"{target.id} is {target.privilege.name}")
    return Allowed()
