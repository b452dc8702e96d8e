"""Export readers: Telegram Desktop (one chat, whole account) and DiscordChatExporter JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.events import Attachment, Message, PlatformName
from bot.replay import (
    ExportFormat,
    NotAnExport,
    ReadProblem,
    ReadStats,
    detect_format,
    iter_export,
    iter_exports,
)
from bot.replay.discord_export import snowflake_time

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
TG = str(DATA / "telegram_chat.json")
TG_ACCOUNT = str(DATA / "telegram_account.json")
DC_GENERAL = str(DATA / "discord_general.json")
DC_OFFTOPIC = str(DATA / "discord_offtopic.json")


def read(*paths: str) -> tuple[list[Message], list[ReadProblem], ReadStats]:
    stats = ReadStats()
    messages: list[Message] = []
    problems: list[ReadProblem] = []
    for item in iter_exports(list(paths), stats):
        (problems if isinstance(item, ReadProblem) else messages).append(item)  # type: ignore[arg-type]
    return messages, problems, stats


def by_id(messages: list[Message]) -> dict[str, Message]:
    return {m.message_id: m for m in messages}


# --- format detection ------------------------------------------------------------------------


def test_formats_are_detected_from_content_not_name(tmp_path: Path) -> None:
    assert detect_format(TG) is ExportFormat.TELEGRAM
    assert detect_format(TG_ACCOUNT) is ExportFormat.TELEGRAM_ACCOUNT
    assert detect_format(DC_GENERAL) is ExportFormat.DISCORD
    # Names lie: a DiscordChatExporter file called result.json is still Discord.
    misnamed = tmp_path / "result.json"
    misnamed.write_bytes(Path(DC_GENERAL).read_bytes())
    assert detect_format(str(misnamed)) is ExportFormat.DISCORD
    weird = tmp_path / "export.txt"
    weird.write_bytes(Path(TG).read_bytes())
    assert detect_format(str(weird)) is ExportFormat.TELEGRAM


def test_messages_first_then_header_still_detected(tmp_path: Path) -> None:
    # Hand-made files may put the header after the messages; the first message's keys decide.
    doc = json.loads(Path(DC_OFFTOPIC).read_text())
    reordered = {"messages": doc["messages"], "guild": doc["guild"], "channel": doc["channel"]}
    path = tmp_path / "x.json"
    path.write_text(json.dumps(reordered))
    messages, problems, _ = read(str(path))
    assert not problems
    assert [m.channel.name for m in messages] == ["off-topic", "off-topic"]
    assert messages[0].community_id == "800000000000000001"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"foo": 1, "bar": [1, 2]}', "no 'messages' list"),
        ("[1, 2, 3]", "top level is a list"),
        ('"just a string"', "top level is a string"),
        ('{"messages": {"a": 1}}', "'messages' is an object"),
        ('{"messages": [{"x": 1}]}', "look like neither format"),
    ],
)
def test_a_file_that_is_neither_format_is_one_fatal_problem(
    tmp_path: Path, content: str, why: str
) -> None:
    path = tmp_path / "result.json"
    path.write_text(content)
    with pytest.raises(NotAnExport):
        detect_format(str(path))
    messages, problems, stats = read(str(path))
    assert messages == []
    assert len(problems) == 1 and problems[0].fatal
    assert problems[0].path == str(path)
    assert why in problems[0].reason
    assert stats.problems == 1


def test_not_json_and_missing_file_are_problems(tmp_path: Path) -> None:
    garbage = tmp_path / "g.json"
    garbage.write_bytes(b"\xff\xfe not json at all")
    missing = tmp_path / "missing.json"
    _, problems, _ = read(str(garbage), str(missing))
    assert [p.path for p in problems] == [str(garbage), str(missing)]
    assert "not valid JSON" in problems[0].reason
    assert "cannot read" in problems[1].reason
    assert all(p.fatal for p in problems)


# --- Telegram Desktop, one chat ----------------------------------------------------------------


def test_telegram_counts_follow_the_counting_rules() -> None:
    messages, problems, stats = read(TG)
    # 22 objects: 5 service (create, join, pin, invite, unsupported), 1 bot, 1 bad, 15 replayed.
    assert [m.message_id for m in messages] == [
        "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "14", "17", "18", "19", "22",
    ]  # fmt: skip
    assert (stats.messages, stats.service, stats.bots, stats.skipped) == (15, 5, 1, 6)
    assert len(problems) == 1 and stats.problems == 1
    assert all(m.platform is PlatformName.TELEGRAM for m in messages)


def test_telegram_chat_ids_are_bot_api_ids() -> None:
    m = read(TG)[0][0]
    assert m.community_id == "-1001500000001"
    assert m.channel.id == "-1001500000001"
    assert m.channel.name == m.community_name == "Hội những người yêu sách"
    assert m.link == "https://t.me/c/1500000001/3"
    assert m.timestamp == datetime(2024, 3, 1, 9, 6, tzinfo=UTC)
    assert m.timestamp.tzinfo is UTC


def test_telegram_entity_list_text_links_and_mentions() -> None:
    m = by_id(read(TG)[0])["4"]
    # The URL behind a text link sits next to its label so link rules see it.
    assert m.text == (
        "Đọc thêm ở đây (https://spam.example/promo) nhé @lan_reader và Hoa, "
        "khuyến mãi https://books.example/sale"
    )
    assert m.mentions == ("@lan_reader", "203")
    assert m.author.id == "202" and m.author.name == "Minh"
    # A text link whose label is its URL is not repeated.
    assert by_id(read(TG)[0])["22"].text == "https://books.example/review hay lắm"


def test_telegram_reply_edit_forward() -> None:
    ms = by_id(read(TG)[0])
    assert ms["5"].reply_to == "4"
    assert ms["6"].edited and ms["6"].text == "final text after the edit: buy cheap followers"
    assert ms["7"].forwarded and ms["7"].text == "Join now t.me/+AbCdEfGhIjK"
    assert not ms["3"].edited and not ms["3"].forwarded and ms["3"].reply_to is None


def test_telegram_media_captions_and_polls() -> None:
    ms = by_id(read(TG)[0])
    assert ms["8"].text == "Bìa sách mới, caption có @all"
    assert ms["8"].attachments == (
        Attachment("photos/photo_1@01-03-2024_09-11-00.jpg", "photo", 84211),
    )
    assert ms["8"].mass_mention
    assert ms["9"].attachments == (Attachment("sticker.webp", "sticker", 20480),)
    assert ms["9"].text == ""
    assert ms["10"].attachments[0].kind == "exe"
    assert ms["10"].attachments[0].filename == "FreeBooks.exe"
    assert ms["11"].attachments[0].kind == "voice"
    assert ms["14"].attachments == (Attachment("", "animation", 0),)
    assert ms["14"].extra["via_bot"] == "@gif"
    assert ms["12"].text == "Tháng này đọc sách gì? Vote ở https://vote.example/poll"


def test_telegram_joins_give_member_age_and_first_sighting_gives_account_age() -> None:
    ms = by_id(read(TG)[0])
    joined = datetime(2024, 3, 1, 9, 5, tzinfo=UTC)
    assert ms["3"].author.joined_at == joined  # join_group_by_link, by actor_id
    assert ms["8"].author.joined_at == joined
    assert ms["17"].author.joined_at == datetime(2024, 3, 1, 9, 19, tzinfo=UTC)  # invited by name
    assert ms["4"].author.joined_at is None
    assert ms["3"].author.created_at == joined  # first seen in the export: the join
    assert ms["6"].author.created_at == ms["4"].timestamp


def test_telegram_senders_without_name_and_anonymous_admins() -> None:
    ms = by_id(read(TG)[0])
    assert ms["18"].author.id == "205" and ms["18"].author.name == ""
    assert ms["19"].author.id == "-1001500000001"  # sent as the group (channel1500000001)


def test_telegram_bad_field_type_is_reported_and_rest_continues() -> None:
    messages, problems, _ = read(TG)
    (p,) = problems
    assert p.path == TG and p.index == 20 and p.message_id == "20" and not p.fatal
    assert "text is int" in p.reason
    assert str(p).startswith(f"{TG}: message #20 (id 20): text is int")
    assert messages[-1].message_id == "22"


def test_telegram_plain_text_with_entities_alongside(tmp_path: Path) -> None:
    doc = {
        "name": "g",
        "type": "private_group",
        "id": 5,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1709284020",
                "from": "A",
                "from_id": "user1",
                "text": "see here",
                "text_entities": [
                    {"type": "plain", "text": "see "},
                    {"type": "text_link", "text": "here", "href": "https://x.example/"},
                ],
            },
            # Old exports: no date_unixtime; ``date`` read as UTC.
            {
                "id": 2,
                "type": "message",
                "date": "2024-03-01T09:00:00",
                "from": "B",
                "from_id": "user2",
                "text": "@everyone hi",
            },
        ],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    (m1, m2), problems, _ = read(str(path))
    assert not problems
    assert m1.text == "see here https://x.example/"
    assert m1.community_id == "-5" and m1.link is None
    assert m2.timestamp == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert m2.mass_mention


# --- Telegram Desktop, whole account ------------------------------------------------------------


def test_telegram_account_replays_every_chat() -> None:
    messages, problems, stats = read(TG_ACCOUNT)
    assert not problems
    assert [(m.community_id, m.message_id) for m in messages] == [
        ("-4000001", "2"),
        ("-4000001", "3"),
        ("-4000001", "4"),
        ("201", "10"),
        ("201", "11"),
        ("100", "20"),
        ("777", "30"),
        ("-1001600000002", "5"),  # left_chats.list too
    ]
    assert (stats.messages, stats.service, stats.bots) == (8, 1, 1)  # the bot in its bot_chat
    group = messages[2]
    assert group.channel.name == "Nhóm đọc sách" and group.text == "link (https://spam.example/x)"
    assert messages[-1].channel.name == "Old Channel"


def test_telegram_account_chats_are_streamed_not_loaded(tmp_path: Path) -> None:
    # Many chats, each with its own metadata: every message is attributed to its own chat, and the
    # per-chat message index restarts (problem positions say which chat).
    chats = []
    for c in range(30):
        msgs = [
            {
                "id": i,
                "type": "message",
                "date_unixtime": str(1709284020 + i),
                "from": "A",
                "from_id": "user1",
                "text": f"chat {c} message {i}",
            }
            for i in range(1, 4)
        ]
        msgs[1]["text"] = {"bad": True}
        chats.append(
            {"name": f"chat{c}", "type": "private_supergroup", "id": 1000 + c, "messages": msgs}
        )
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"about": "x", "chats": {"about": "y", "list": chats}}))
    messages, problems, stats = read(str(path))
    assert len(messages) == 60 and stats.messages == 60
    assert all(m.text.startswith(f"chat {int(m.community_id[4:]) - 1000} ") for m in messages)
    assert len(problems) == 30
    assert problems[7].chat == "chat7" and problems[7].index == 2 and problems[7].message_id == "2"


# --- DiscordChatExporter ------------------------------------------------------------------------


def test_discord_counts_follow_the_counting_rules() -> None:
    messages, problems, stats = read(DC_GENERAL)
    assert [m.message_id[-2:] for m in messages] == [
        "02", "03", "04", "05", "06", "10", "11", "12", "15",
    ]  # fmt: skip
    # join, pin, thread-created are system messages; MEE6 (Default and slash-command reply) bots.
    assert (stats.messages, stats.service, stats.bots, stats.problems) == (9, 3, 2, 1)
    (p,) = problems
    assert p.index == 13 and p.message_id == "1000000000000000013"
    assert "content is list" in p.reason


def test_discord_message_fields() -> None:
    ms = {m.message_id[-2:]: m for m in read(DC_GENERAL)[0]}
    hello = ms["02"]
    assert hello.platform is PlatformName.DISCORD
    assert hello.community_id == "800000000000000001" and hello.community_name == "Book Club"
    assert (hello.channel.id, hello.channel.name) == ("810000000000000001", "general")
    assert hello.timestamp == datetime(2024, 3, 1, 10, 1, 0, 123000, tzinfo=UTC)
    assert hello.link == (
        "https://discord.com/channels/800000000000000001/810000000000000001/1000000000000000002"
    )
    assert hello.author.joined_at == datetime(2024, 3, 1, 10, tzinfo=UTC)  # GuildMemberJoin
    assert hello.author.created_at == snowflake_time("333333333333333333")
    # An offset timestamp is converted to UTC.
    assert ms["03"].timestamp == datetime(2024, 3, 1, 10, 2, tzinfo=UTC)
    assert ms["03"].mass_mention and ms["15"].mass_mention and not hello.mass_mention
    assert [r.name for r in ms["04"].author.roles] == ["Member", "Trusted"]
    assert ms["04"].author.name == "bob" and ms["03"].author.name == "Alice"
    assert ms["03"].author.username == "alice"
    assert ms["04"].reply_to == "1000000000000000003" and ms["04"].mentions == (
        "111111111111111111",
    )
    assert ms["12"].mentions == ("111111111111111111", "222222222222222222")
    assert ms["06"].edited and not ms["02"].edited


def test_discord_attachment_only_sticker_and_forwarded_messages() -> None:
    ms = {m.message_id[-2:]: m for m in read(DC_GENERAL)[0]}
    assert ms["05"].text == ""
    assert ms["05"].attachments == (
        Attachment(
            "setup.EXE", "exe", 734003, "https://cdn.discordapp.com/attachments/1/2/setup.EXE"
        ),
    )
    assert ms["10"].attachments == (Attachment("Wave", "sticker"),)
    assert ms["11"].forwarded and ms["11"].text == "forwarded: buy cheap followers"
    assert ms["11"].reply_to is None


def test_several_files_are_merged_in_time_order() -> None:
    messages, _, stats = read(DC_GENERAL, DC_OFFTOPIC)
    assert [m.timestamp for m in messages] == sorted(m.timestamp for m in messages)
    assert [m.message_id[-3:] for m in messages][:4] == ["002", "003", "101", "004"]
    assert stats.messages == 11 and stats.files == 2
    assert [a.kind for a in by_id(messages)["1000000000000000102"].attachments] == ["png", ""]


def test_snowflake_time_matches_discord_docs() -> None:
    # The example from Discord's API reference ("Snowflake ID Broken Down in Binary").
    assert snowflake_time("175928847299117063") == datetime(
        2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC
    )
    assert snowflake_time("not-a-number") is None


# --- broken files -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TG, DC_GENERAL, TG_ACCOUNT])
def test_truncated_file_replays_everything_before_the_break(tmp_path: Path, path: str) -> None:
    full, _, _ = read(path)
    data = Path(path).read_bytes()
    cut = data.rfind(b'"id"', 0, int(len(data) * 0.7))  # inside a message, ~70% in
    broken = tmp_path / "cut.json"
    broken.write_bytes(data[:cut])
    messages, problems, _ = read(str(broken))
    assert messages and messages == full[: len(messages)]
    assert len(messages) < len(full)
    fatal = problems[-1]
    assert fatal.fatal and "truncated JSON" in fatal.reason
    assert fatal.offset == cut  # a truncated file breaks exactly at its end


def test_invalid_json_mid_file_keeps_the_messages_before(tmp_path: Path) -> None:
    data = Path(DC_OFFTOPIC).read_text()
    i = data.index('"id": "1000000000000000102"')
    broken = tmp_path / "bad.json"
    broken.write_text(data[:i] + "oops, " + data[i:])
    messages, problems, _ = read(str(broken), DC_GENERAL)
    assert [m.message_id for m in messages].count("1000000000000000101") == 1
    bad = [p for p in problems if p.path == str(broken)]
    assert len(bad) == 1 and bad[0].fatal and "invalid JSON" in bad[0].reason
    assert bad[0].index == 2
    # The other file still replays in full.
    assert sum(m.channel.name == "general" for m in messages) == 9


def test_iter_export_is_lazy_and_counts_as_it_goes() -> None:
    stats = ReadStats()
    it = iter_export(TG, stats)
    first = next(it)
    assert isinstance(first, Message) and first.message_id == "3"
    assert stats.messages == 1 and stats.service == 2
    assert stats.formats == {TG: "telegram"}
