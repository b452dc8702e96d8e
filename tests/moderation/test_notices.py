"""What members are told about automatic cases: the sanction notice, the warning's appeal hint,
silence for deletions and shadow rules, and the reply template's placeholders (real SQLite, the
RecordingPlatform fake, the live pipeline with its background posts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from fakes import Call, RecordingPlatform

from bot.events import Author, Channel, Message, PlatformName
from bot.moderation.executor import NOTICE_BURST, Executor
from bot.moderation.pipeline import Pipeline
from bot.platforms.base import FailureKind
from bot.rules.loader import load_rules_text
from bot.storage import Database, cases, reversals

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GROUP = "-100"
BOB = Author("42", "Bob")
RULES = """
version: 1
community: {{name: "{name}", language: {lang}}}
escalation:
  ladder:
    - {{strikes: 2, action: mute, duration: 1h}}
rules:
  - {{id: spam, description: "No advertising", match: {{words: [spam]}}, actions: [delete, strike]}}
  - {{id: flood, description: "No flooding", match: {{words: [flood]}}, actions: [delete]}}
  - {{id: rude, description: "Be kind", match: {{words: [rude]}}, actions: [warn]}}
  - {{id: scam, description: "No scams", match: {{words: [scam]}}, actions: [delete, ban]}}
  - {{id: scam-lite, description: "No scams", match: {{words: [scamlite]}}, actions: [delete, {{ban: 1d}}]}}
  - {{id: raid, description: "No raids", match: {{words: [raid]}}, actions: [delete, kick]}}
  - {{id: caps, description: "No shouting", match: {{words: [shout]}}, actions: [{{mute: 10m}}]}}
  - {{id: trial, mode: shadow, match: {{words: [trial]}}, actions: [delete, {{mute: 1h}}, alert]}}
  - id: greet
    match: {{words: [hello]}}
    actions: [{{mute: 30m}}, {{reply: "{{member}} / {{duration}} / {{community}}"}}]
"""


@dataclass
class Bot:
    pipeline: Pipeline
    platform: RecordingPlatform
    db: Database
    ids: count[int]

    async def say(self, text: str, who: Author = BOB, channel: str = GROUP) -> Message:
        msg = Message(
            PlatformName.TELEGRAM,
            GROUP,
            Channel(channel, "g"),
            str(next(self.ids)),
            who,
            text,
            T0,
            community_name="Group title",
        )
        await self.pipeline.handle(msg)
        await self.pipeline.drain()
        return msg

    def sent(self) -> list[Call]:
        return [c for c in self.platform.done if c.method == "send_message"]

    async def actions(self, case_id: int) -> list[tuple[str, str]]:
        case = await cases.get_case(self.db, case_id)
        assert case is not None
        return [(a.kind, a.status) for a in case.actions]


async def no_sleep(_: float) -> None:
    return None


async def open_bot(tmp_path: Path, lang: str, name: str = "Book club") -> Bot:
    db = await Database.open(tmp_path / f"n-{lang}-{len(name)}.db")
    platform = RecordingPlatform()
    executor = Executor(db, clock=lambda: T0, sleep=no_sleep)
    executor.add_platform(platform, bot_id="999")
    rules = load_rules_text(RULES.format(lang=lang, name=name))
    return Bot(Pipeline(db, executor, rules, clock=lambda: T0), platform, db, count(1))


@pytest.fixture
async def en(tmp_path: Path) -> AsyncIterator[Bot]:
    bot = await open_bot(tmp_path, "en")
    yield bot
    await bot.db.close()


@pytest.fixture
async def vi(tmp_path: Path) -> AsyncIterator[Bot]:
    bot = await open_bot(tmp_path, "vi", "Hội đọc sách")
    yield bot
    await bot.db.close()


async def test_an_escalated_mute_is_announced_with_the_appeal_hint(en: Bot) -> None:
    await en.say("spam one")
    assert en.sent() == []  # one strike, no ladder step: deleted silently
    await en.say("spam two", channel="-100-b")  # the notice goes where the message was
    (call,) = en.sent()
    assert call.args[:2] == (GROUP, "-100-b") and call.args[3] is None  # the message is gone
    assert call.args[2] == (
        "Bob has been muted for 1 hour: No advertising. (case #2)\n"
        "If you think this is a mistake, use /appeal 2 followed by your reason."
    )
    # Recorded with the case, after the sanction it announces.
    assert await en.actions(2) == [
        ("delete", "done"),
        ("mute", "done"),
        ("notice", "done"),
        ("log", "done"),
    ]


async def test_the_notice_is_in_the_community_language(vi: Bot) -> None:
    await vi.say("spam một")
    await vi.say("spam hai")
    (call,) = vi.sent()
    assert call.args[2] == (
        "Bob bị cấm chat trong 1 giờ: No advertising. (vụ #2)\n"
        "Nếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 2 kèm lý do."
    )


async def test_a_rule_mute_not_deleted_replies_to_the_message(en: Bot) -> None:
    msg = await en.say("shout")
    (call,) = en.sent()
    assert call.args[3] == msg.message_id
    assert call.args[2].startswith("Bob has been muted for 10 minutes: No shouting. (case #1)\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("raid", "Bob has been removed from the group: No raids. (case #1)"),
        ("scam", "Bob has been banned (permanently): No scams. (case #1)"),
        ("scamlite", "Bob has been banned (1 day): No scams. (case #1)"),
    ],
)
async def test_kick_and_ban_are_announced_without_an_appeal_hint(
    en: Bot, text: str, expected: str
) -> None:
    await en.say(text)
    (call,) = en.sent()
    assert call.args[2] == expected  # they cannot read the group: the notice is for the others
    assert ("notice", "done") in await en.actions(1)


async def test_kick_and_ban_in_vietnamese(vi: Bot) -> None:
    await vi.say("raid")
    await vi.say("scamlite", who=Author("43", "Lan"))
    texts = [c.args[2] for c in vi.sent()]
    assert texts == [
        "Bob đã bị mời ra khỏi nhóm: No raids. (vụ #1)",
        "Lan đã bị cấm khỏi nhóm (1 ngày): No scams. (vụ #2)",
    ]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "Bob, this is a warning: Be kind\n"
            "If you think this is a mistake, use /appeal 1 followed by your reason.",
        ),
        (
            "vi",
            "Bob, đây là lời cảnh cáo: Be kind\n"
            "Nếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 1 kèm lý do.",
        ),
    ],
)
async def test_a_warning_carries_the_appeal_hint(tmp_path: Path, lang: str, expected: str) -> None:
    bot = await open_bot(tmp_path, lang)
    try:
        msg = await bot.say("rude")
        (call,) = bot.sent()
        assert call.args[2] == expected and call.args[3] == msg.message_id
        assert [k for k, _ in await bot.actions(1)] == ["warn", "log"]  # no notice besides
    finally:
        await bot.db.close()


class OwnHint(RecordingPlatform):
    """A platform with its own wording of the appeal hint."""

    def appeal_hint(self, language: str, case_id: int) -> str:
        return f"[{language}] appeal #{case_id} with me"


async def test_the_appeal_hint_is_the_platforms(en: Bot) -> None:
    """The executor never picks the hint by platform name: the platform words it."""
    platform = OwnHint()
    en.pipeline.executor.add_platform(platform, bot_id="999")
    en.platform = platform
    await en.say("rude")  # a warning
    await en.say("shout", who=Author("43", "Lan"))  # a mute notice
    texts = [c.args[2] for c in en.sent()]
    assert texts == [
        "Bob, this is a warning: Be kind\n[en] appeal #1 with me",
        "Lan has been muted for 10 minutes: No shouting. (case #2)\n[en] appeal #2 with me",
    ]


async def test_deletions_stay_silent_even_in_a_raid(en: Bot) -> None:
    for i in range(20):
        await en.say("flood", who=Author(str(100 + i), f"u{i}"))
    assert len([c for c in en.platform.done if c.method == "delete_message"]) == 20
    assert en.sent() == []


async def test_shadow_rules_never_notify(en: Bot) -> None:
    await en.say("trial")
    assert en.sent() == []
    assert [c.method for c in en.platform.done] == ["post_log"]  # the shadow alert only
    assert await en.actions(1) == [("alert", "done")]


async def test_a_failed_notice_keeps_the_sanction(en: Bot) -> None:
    en.platform.fail("send_message", FailureKind.FORBIDDEN)
    await en.say("shout")
    assert "mute" in en.platform.methods()
    assert await en.actions(1) == [("mute", "done"), ("notice", "failed"), ("log", "done")]
    case = await cases.get_case(en.db, 1)
    assert case is not None and case.sanction == "mute"
    assert await reversals.next_due(en.db) == T0 + timedelta(minutes=10)  # unmute still scheduled
    # The missing right is told to the moderators once, in the log channel.
    assert any(e.title == "Missing permission" for e in en.platform.logs)


async def test_a_notice_left_pending_is_posted_at_the_next_start(en: Bot) -> None:
    en.platform.fail("send_message", FailureKind.TRANSIENT, times=4)  # retries spent: pending
    await en.say("shout")
    assert await en.actions(1) == [("mute", "done"), ("notice", "pending"), ("log", "done")]
    assert await en.pipeline.executor.replay_pending() == 1
    (call,) = en.sent()
    assert call.args[2].startswith("Bob has been muted for 10 minutes")
    assert ("notice", "done") in await en.actions(1)


async def test_a_sanction_that_failed_is_not_announced(en: Bot) -> None:
    en.platform.fail("mute", FailureKind.FORBIDDEN)
    await en.say("shout")
    assert en.sent() == []
    assert await en.actions(1) == [("mute", "failed"), ("notice", "failed"), ("log", "done")]


async def test_a_pending_sanction_is_announced_once_carried_out(en: Bot) -> None:
    en.platform.fail("mute", FailureKind.TRANSIENT, times=4)
    await en.say("shout")
    assert en.sent() == []
    assert await en.actions(1) == [("mute", "pending"), ("notice", "pending"), ("log", "done")]
    assert await en.pipeline.executor.replay_pending() == 2  # the mute, then its notice
    assert [c.method for c in en.platform.done][-2:] == ["mute", "send_message"]
    assert await en.actions(1) == [("mute", "done"), ("notice", "done"), ("log", "done")]


async def test_a_refused_sanction_is_not_announced(tmp_path: Path) -> None:
    rules = """
version: 1
rules:
  - {id: caps, exempt_moderators: false, match: {words: [shout]}, actions: [{mute: 10m}]}
"""
    db = await Database.open(tmp_path / "r.db")
    try:
        platform = RecordingPlatform()
        executor = Executor(db, clock=lambda: T0)
        executor.add_platform(platform)
        pipeline = Pipeline(db, executor, load_rules_text(rules), clock=lambda: T0)
        mod = Author("7", "Mai", is_moderator=True)
        msg = Message(PlatformName.TELEGRAM, GROUP, Channel(GROUP, "g"), "1", mod, "shout", T0)
        await pipeline.handle(msg)
        await pipeline.drain()
        assert "send_message" not in platform.methods() and "mute" not in platform.methods()
        case = await cases.get_case(db, 1)
        assert case is not None
        assert [(a.kind, a.status) for a in case.actions] == [
            ("mute", "refused"),
            ("notice", "refused"),
            ("log", "done"),
        ]
    finally:
        await db.close()


async def test_a_raid_of_mutes_gets_a_few_notices_per_channel(en: Bot) -> None:
    for i in range(NOTICE_BURST + 3):
        await en.say("shout", who=Author(str(100 + i), f"u{i}"))
    assert en.platform.methods().count("mute") == NOTICE_BURST + 3
    assert len(en.sent()) == NOTICE_BURST
    last = await cases.get_case(en.db, NOTICE_BURST + 3)
    assert last is not None
    notice = next(a for a in last.actions if a.kind == "notice")
    assert notice.status == "done" and "skipped" in (notice.error or "")
    # Another channel has its own allowance.
    await en.say("shout", who=Author("300", "v"), channel="-100-c")
    assert len(en.sent()) == NOTICE_BURST + 1


# -- the reply template's placeholders ---------------------------------------------------------


async def test_reply_duration_and_community_in_english(en: Bot) -> None:
    await en.say("hello")
    texts = [c.args[2] for c in en.sent()]
    assert "Bob / mute for 30 minutes / Book club" in texts  # community.name, not the group title


async def test_reply_duration_and_community_in_vietnamese(vi: Bot) -> None:
    await vi.say("hello")
    texts = [c.args[2] for c in vi.sent()]
    assert "Bob / cấm chat 30 phút / Hội đọc sách" in texts


async def test_reply_community_falls_back_to_the_group_title(tmp_path: Path) -> None:
    bot = await open_bot(tmp_path, "en", name="")
    try:
        await bot.say("hello")
        assert "Bob / mute for 30 minutes / Group title" in [c.args[2] for c in bot.sent()]
    finally:
        await bot.db.close()


# -- the scorer-outage alert -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title"),
    [("en", "Toxicity scorer unavailable"), ("vi", "Bộ chấm điểm độc hại không hoạt động")],
)
async def test_the_scorer_outage_alert_title_is_in_the_community_language(
    tmp_path: Path, lang: str, title: str
) -> None:
    rules = f"""
version: 1
community: {{language: {lang}}}
rules:
  - {{id: toxic, match: {{toxicity: {{at_least: 0.8}}}}, actions: [delete]}}
"""

    async def down(text: str) -> dict[str, float]:
        raise TimeoutError("scorer took longer than 2s")

    db = await Database.open(tmp_path / "s.db")
    try:
        platform = RecordingPlatform()
        executor = Executor(db, clock=lambda: T0)
        executor.add_platform(platform)
        pipeline = Pipeline(db, executor, load_rules_text(rules), clock=lambda: T0, scorer=down)
        msg = Message(PlatformName.TELEGRAM, GROUP, Channel(GROUP, "g"), "1", BOB, "hi", T0)
        await pipeline.handle(msg)
        await pipeline.drain()
        assert [e.title for e in platform.logs] == [title]
    finally:
        await db.close()
