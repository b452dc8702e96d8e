"""Telegram adapter pieces without a network: error kinds, HTML rendering, the admin cache."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner, User
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.platforms.base import FailureKind, LogEntry
from bot.platforms.telegram.admins import AdminCache
from bot.platforms.telegram.errors import classify
from bot.platforms.telegram.render import MAX_TEXT, log_html, text_html


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (BadRequest("Message to delete not found"), FailureKind.NOT_FOUND),
        (BadRequest("Message can't be deleted"), FailureKind.NOT_FOUND),
        (BadRequest("Not enough rights to delete a message"), FailureKind.FORBIDDEN),
        (BadRequest("Not enough rights to restrict/unrestrict chat member"), FailureKind.FORBIDDEN),
        (BadRequest("CHAT_ADMIN_REQUIRED"), FailureKind.FORBIDDEN),
        (BadRequest("User is an administrator of the chat"), FailureKind.REFUSED),
        (BadRequest("Can't remove chat owner"), FailureKind.REFUSED),
        (BadRequest("Can't parse entities: unclosed tag"), FailureKind.INVALID),
        (Forbidden("bot was kicked from the supergroup chat"), FailureKind.FORBIDDEN),
        (NetworkError("Bad Gateway"), FailureKind.TRANSIENT),
        (TimedOut(), FailureKind.TRANSIENT),
    ],
)
def test_classify(exc: Exception, kind: FailureKind) -> None:
    assert classify(exc).kind is kind  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("wait", [7, timedelta(seconds=7)])
def test_retry_after_seconds(wait: int | timedelta) -> None:
    err = classify(RetryAfter(wait))
    assert err.kind is FailureKind.RATE_LIMITED and err.retry_after == 7.0


def test_log_html_escapes_everything() -> None:
    entry = LogEntry(
        title="<ban>",
        body="a & b",
        case_id=12,
        rule_ids=("r<1>",),
        member_id="42",
        member_name="<Eve>",
        excerpt="<script>alert(1)</script>",
        link='https://t.me/c/1/2"x',
        shadow=True,
        fields=(("k<", "v>"),),
    )
    html = log_html(entry)
    for raw in ("<ban>", "<Eve>", "<script>", "r<1>", '2"x', "k<", "v>"):
        assert raw not in html
    assert "&lt;script&gt;" in html and "Case #12" in html and "(shadow)" in html
    assert '<a href="tg://user?id=42">&lt;Eve&gt;</a>' in html


def test_long_text_is_cut_before_escaping() -> None:
    html = text_html("&" * 10_000)
    assert len(html) <= MAX_TEXT * 3 and html.endswith("…") and "&amp;" in html
    entry = LogEntry(title="t", body="x" * 50_000, excerpt="y" * 50_000)
    assert len(log_html(entry)) < MAX_TEXT


async def test_admin_cache_expires_and_shares_a_fetch() -> None:
    owner, admin, member = User(1, "O", False), User(2, "A", False), User(3, "M", False)
    admin_member = ChatMemberAdministrator(
        admin, False, False, True, True, False, True, False, False, True, False, False, False
    )
    calls = 0
    now = [0.0]

    async def fetch(chat_id: int) -> list[object]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return [ChatMemberOwner(owner, False), admin_member, ChatMemberMember(member)]

    cache = AdminCache(fetch, ttl=10, clock=lambda: now[0])  # type: ignore[arg-type]
    first, second = await asyncio.gather(cache.get(-1), cache.get(-1))
    assert calls == 1 and first == second
    assert first.is_owner(1) and first.is_moderator(1) and first.is_moderator(2)
    assert not first.is_moderator(3)
    now[0] = 5
    await cache.get(-1)
    assert calls == 1
    now[0] = 11
    await cache.get(-1)
    assert calls == 2
    cache.invalidate(-1)
    await cache.get(-1)
    assert calls == 3


async def test_admin_cache_error_propagates_and_is_not_cached() -> None:
    async def fetch(chat_id: int) -> list[object]:
        raise RuntimeError("down")

    cache = AdminCache(fetch)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await cache.get(-1)
    assert cache.cached(-1) is None


# ---- the appeal hint: the platform's wording, with the deep link to the private chat ------------


async def test_the_appeal_hint_links_to_the_private_chat() -> None:
    from bot.platforms.telegram import TelegramPlatform
    from bot.platforms.telegram.commands import _appeal_case

    platform = TelegramPlatform("1:x", "http://127.0.0.1:9")  # never connected
    # Before getMe the username is unknown: the hint says where, without a link.
    assert platform.appeal_hint("en", 12) == (
        "If you think this is a mistake, send /appeal 12 followed by your reason, "
        "here or in a private chat with me."
    )
    platform.bot_username = "modbot_bot"
    link = "https://t.me/modbot_bot?start=appeal-12"
    assert platform.appeal_hint("en", 12) == (
        "If you think this is a mistake, send /appeal 12 followed by your reason, "
        f"here or in a private chat with me: {link}"
    )
    assert platform.appeal_hint("vi", 12) == (
        "Nếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 12 kèm lý do, "
        f"tại đây hoặc trong tin nhắn riêng với bot: {link}"
    )
    # /start reads the case back from the link's payload; anything else is a plain Start.
    assert _appeal_case("appeal-12") == 12
    assert [_appeal_case(p) for p in ("private", "", "appeal-", "appeal-x1", "appeal-١٢")] == [
        None
    ] * 5
