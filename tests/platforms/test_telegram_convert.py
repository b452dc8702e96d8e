"""Telegram update → neutral event, over real PTB objects parsed from Bot API payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Update

from bot.events import MemberJoin, MemberLeave, Message, PlatformName
from bot.platforms.telegram.admins import ChatStaff, changes_staff
from bot.platforms.telegram.convert import command_name, group_message, to_event

BOT_ID = 777
CHAT = {"id": -1001234567890, "type": "supergroup", "title": "Nhóm thử", "username": "testgroup"}
ALICE = {"id": 42, "is_bot": False, "first_name": "Alice", "last_name": "A", "username": "alice"}
DATE = 1_760_000_000


def update(**kinds: Any) -> Update:
    return Update.de_json({"update_id": 1, **kinds}, None)


def msg(**fields: Any) -> dict[str, Any]:
    return {"message_id": 10, "date": DATE, "chat": CHAT, "from": ALICE, **fields}


def event(**kinds: Any) -> Any:
    return to_event(update(**kinds), BOT_ID, ChatStaff(owner_id=1, admin_ids=frozenset({1, 5})))


def test_plain_text_message() -> None:
    e = event(message=msg(text="xin chào"))
    assert isinstance(e, Message)
    assert e.platform is PlatformName.TELEGRAM
    assert e.community_id == e.channel.id == "-1001234567890"
    assert e.channel.name == "Nhóm thử" and e.community_name == "Nhóm thử"
    assert e.message_id == "10" and e.text == "xin chào"
    assert e.author.id == "42" and e.author.name == "Alice A" and e.author.username == "alice"
    assert not e.author.is_moderator and not e.author.is_owner and not e.author.is_bot
    assert e.timestamp == datetime.fromtimestamp(DATE, UTC)
    assert e.link == "https://t.me/testgroup/10"
    assert not e.edited and not e.forwarded and e.attachments == ()


def test_private_supergroup_link() -> None:
    chat = {k: v for k, v in CHAT.items() if k != "username"}
    e = event(message=msg(text="x", chat=chat))
    assert e.link == "https://t.me/c/1234567890/10"


def test_administrator_and_owner_are_moderators() -> None:
    admin = event(message=msg(text="x", **{"from": {**ALICE, "id": 5}}))
    owner = event(message=msg(text="x", **{"from": {**ALICE, "id": 1}}))
    assert admin.author.is_moderator and not admin.author.is_owner
    assert owner.author.is_moderator and owner.author.is_owner


def test_anonymous_administrator_counts_as_moderator() -> None:
    anon = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    e = event(message=msg(text="x", sender_chat=CHAT, **{"from": anon}))
    assert e.author.id == str(CHAT["id"]) and e.author.is_moderator


def test_post_as_own_channel_is_not_a_moderator() -> None:
    channel = {"id": -1009, "type": "channel", "title": "My channel"}
    bot = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
    e = event(message=msg(text="x", sender_chat=channel, **{"from": bot}))
    assert e.author.id == "-1009" and e.author.name == "My channel" and not e.author.is_moderator


def test_caption_photo_and_reply() -> None:
    photo = [
        {"file_id": "s", "file_unique_id": "s1", "width": 90, "height": 90, "file_size": 100},
        {"file_id": "b", "file_unique_id": "b1", "width": 800, "height": 800, "file_size": 9000},
    ]
    e = event(
        message=msg(caption="look", photo=photo, reply_to_message=msg(message_id=3, text="q"))
    )
    assert e.text == "look"
    assert [(a.kind, a.size) for a in e.attachments] == [("photo", 9000)]
    assert e.reply_to == "3"


def test_sticker_without_text() -> None:
    sticker = {
        "file_id": "st", "file_unique_id": "st1", "width": 512, "height": 512, "is_animated": False,
        "is_video": False, "type": "regular", "emoji": "😀", "set_name": "cats",
    }  # fmt: skip
    e = event(message=msg(sticker=sticker))
    assert isinstance(e, Message) and e.text == ""
    assert [(a.kind, a.filename) for a in e.attachments] == [("sticker", "cats")]
    assert e.extra["sticker_emoji"] == "😀"


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        ({"file_name": "setup.EXE", "mime_type": "application/x-msdownload"}, "exe"),
        ({"file_name": "noext", "mime_type": "application/pdf"}, "pdf"),
        ({}, "document"),
    ],
)
def test_document_kind_is_extension(doc: dict[str, Any], kind: str) -> None:
    e = event(message=msg(document={"file_id": "d", "file_unique_id": "d1", **doc}))
    assert e.attachments[0].kind == kind


def test_forwarded_message() -> None:
    origin = {"type": "user", "date": DATE - 60, "sender_user": {**ALICE, "id": 9}}
    e = event(message=msg(text="fw", forward_origin=origin))
    assert e.forwarded


def test_text_link_url_is_appended_and_mentions_read_from_entities() -> None:
    text = "click here @Bob and Carol"
    entities = [
        {"type": "text_link", "offset": 0, "length": 10, "url": "https://spam.example/x"},
        {"type": "mention", "offset": 11, "length": 4},
        {"type": "text_mention", "offset": 20, "length": 5, "user": {**ALICE, "id": 99}},
    ]
    e = event(message=msg(text=text, entities=entities))
    assert e.text == "click here @Bob and Carol\nhttps://spam.example/x"
    assert e.mentions == ("@bob", "99")


def test_text_link_offsets_count_utf16_units() -> None:
    text = "😀 link"
    entities = [{"type": "text_link", "offset": 3, "length": 4, "url": "https://a.example"}]
    e = event(message=msg(text=text, entities=entities))
    assert e.text.endswith("https://a.example")


@pytest.mark.parametrize(
    ("text", "mass"), [("@all come", True), ("hi @here", True), ("a@all", False)]
)
def test_mass_mention_text(text: str, mass: bool) -> None:
    assert event(message=msg(text=text)).mass_mention is mass


def test_poll_question_is_text() -> None:
    poll = {
        "id": "p", "question": "buy crypto?", "options": [], "total_voter_count": 0,
        "is_closed": False, "is_anonymous": True, "type": "regular",
        "allows_multiple_answers": False, "allows_revoting": False, "members_only": False,
    }  # fmt: skip
    e = event(message=msg(poll=poll))
    assert isinstance(e, Message) and e.text == "buy crypto?"


def test_edited_message_is_rechecked_with_its_edit_time() -> None:
    e = event(edited_message=msg(text="now bad", edit_date=DATE + 30))
    assert isinstance(e, Message) and e.edited and e.text == "now bad"
    assert e.timestamp == datetime.fromtimestamp(DATE + 30, UTC)


def test_command_is_marked() -> None:
    m = msg(
        text="/ban@modbot_bot 1h spam",
        entities=[{"type": "bot_command", "offset": 0, "length": 15}],
    )
    e = event(message=m)
    assert e.extra["command"] == "ban"
    tg = group_message(update(message=m))
    assert tg is not None and command_name(tg) == "ban"


@pytest.mark.parametrize(
    "kinds",
    [
        {"channel_post": msg(text="news", chat={"id": -1002, "type": "channel", "title": "C"})},
        {"message": msg(text="hi", **{"from": {**ALICE, "id": BOT_ID, "is_bot": True}})},
        {"message": msg(new_chat_members=[ALICE])},
        {"message": msg(left_chat_member=ALICE)},
        {"message": msg(pinned_message=msg(message_id=2, text="x"))},
        {"message": msg(new_chat_title="renamed")},
        {"message": msg(text="private", chat={"id": 42, "type": "private", "first_name": "A"})},
        {"message": msg(text="auto", is_automatic_forward=True)},
        {"callback_query": {"id": "1", "from": ALICE, "chat_instance": "c", "data": "x"}},
    ],
    ids=["channel_post", "own", "joined", "left", "pinned", "title", "private", "auto_forward",
         "callback"],
)  # fmt: skip
def test_ignored(kinds: dict[str, Any]) -> None:
    assert event(**kinds) is None


def _member_update(old: str, new: str, **extra: Any) -> dict[str, Any]:
    return {
        "chat": CHAT,
        "from": ALICE,
        "date": DATE,
        "old_chat_member": {"status": old, "user": ALICE, **extra},
        "new_chat_member": {"status": new, "user": ALICE, **extra},
    }


def test_chat_member_join_and_leave() -> None:
    join = event(chat_member=_member_update("left", "member"))
    assert isinstance(join, MemberJoin)
    assert join.member.id == "42" and join.community_id == "-1001234567890"
    assert join.timestamp == datetime.fromtimestamp(DATE, UTC)
    leave = event(chat_member=_member_update("member", "kicked", until_date=0))
    assert isinstance(leave, MemberLeave)


def test_promotion_is_no_event_but_changes_staff() -> None:
    admin_fields = {
        "can_be_edited": True, "is_anonymous": False, "can_manage_chat": True,
        "can_delete_messages": True, "can_manage_video_chats": False, "can_restrict_members": True,
        "can_promote_members": False, "can_change_info": False, "can_invite_users": True,
        "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
    }  # fmt: skip
    raw = _member_update("member", "member")
    raw["new_chat_member"] = {"status": "administrator", "user": ALICE, **admin_fields}
    u = update(chat_member=raw)
    assert to_event(u, BOT_ID) is None
    assert u.chat_member is not None and changes_staff(u.chat_member)
    plain = update(chat_member=_member_update("left", "member"))
    assert plain.chat_member is not None and not changes_staff(plain.chat_member)
