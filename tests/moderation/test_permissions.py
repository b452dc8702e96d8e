"""Who may act on whom."""

from __future__ import annotations

import pytest

from bot.events import Author, Role
from bot.moderation.permissions import (
    Allowed,
    Privilege,
    Refused,
    Subject,
    can_act,
    privilege_of,
)


def test_order() -> None:
    assert Privilege.MEMBER < Privilege.MODERATOR < Privilege.OWNER < Privilege.BOT


@pytest.mark.parametrize(
    ("actor", "target", "reason"),
    [
        (Privilege.MODERATOR, Privilege.MEMBER, None),
        (Privilege.OWNER, Privilege.MEMBER, None),
        (Privilege.BOT, Privilege.MEMBER, None),
        (Privilege.MEMBER, Privilege.MEMBER, "not_moderator"),
        (Privilege.MODERATOR, Privilege.MODERATOR, "target_is_moderator"),
        (Privilege.OWNER, Privilege.MODERATOR, "target_is_moderator"),
        (Privilege.BOT, Privilege.MODERATOR, "target_is_moderator"),
        (Privilege.MODERATOR, Privilege.OWNER, "target_is_owner"),
        (Privilege.OWNER, Privilege.BOT, "target_is_bot"),
    ],
)
def test_can_act(actor: Privilege, target: Privilege, reason: str | None) -> None:
    result = can_act(Subject("a", actor), Subject("t", target))
    if reason is None:
        assert isinstance(result, Allowed) and result
    else:
        assert isinstance(result, Refused) and not result and result.reason == reason


def test_not_on_yourself() -> None:
    result = can_act(Subject("a", Privilege.MODERATOR), Subject("a", Privilege.MEMBER))
    assert isinstance(result, Refused) and result.reason == "self"


def test_privilege_of() -> None:
    assert privilege_of(Author("1", "m")) is Privilege.MEMBER
    assert privilege_of(Author("1", "m", is_moderator=True)) is Privilege.MODERATOR
    assert privilege_of(Author("1", "m", roles=(Role("9", "Moderator"),)), ["moderator"]) is (
        Privilege.MODERATOR
    )
    assert privilege_of(Author("1", "m", roles=(Role("9", "x"),)), ["9"]) is Privilege.MODERATOR
    assert privilege_of(Author("1", "m", is_owner=True, is_moderator=True)) is Privilege.OWNER
    assert privilege_of(Author("7", "b", is_bot=True), bot_id="7") is Privilege.BOT
    assert privilege_of(Author("8", "other", is_bot=True), bot_id="7") is Privilege.MEMBER
