"""reload (invalid file refused, old rules kept) and stats (summary + PNG) through dispatch()."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.events import MemberJoin, MemberLeave, PlatformName
from tests.commands.conftest import ALICE, BOB, COMMUNITY, Harness


async def test_reload_valid_file(h: Harness) -> None:
    h.rules.write_text(h.rules.read_text().replace('["shit"]', '["shit", "damn"]'))
    reply = await h.run("reload")
    assert reply.text == "Rules reloaded: 1 rules."
    await h.say("damn it", mid="11")  # the new word acts at once
    assert [c.method for c in h.platform.done].count("delete_message") == 1


async def test_reload_broken_file_keeps_the_old_rules(h: Harness) -> None:
    h.rules.write_text(
        "version: 1\nrules:\n  - id: x\n    match: {wordz: [a]}\n    actions: [delete]\n"
        "  - id: y\n    match: {words: [b]}\n    actions: [explode]\n"
    )
    reply = await h.run("reload")
    assert reply.ephemeral
    lines = reply.text.splitlines()
    assert lines[0] == "The rules file has problems, so I kept the current rules:"
    assert lines[1].startswith(f"{h.rules}:4:") and "wordz" in lines[1]
    assert lines[2].startswith(f"{h.rules}:8:") and "explode" in lines[2]
    await h.say("oh shit", mid="12")  # the old rule still acts
    assert h.platform.methods()[:1] == ["delete_message"]


async def test_reload_is_for_moderators(h: Harness) -> None:
    assert (await h.run("reload", by=ALICE)).text == "Sorry, only moderators can use /reload."


async def test_stats_summary_and_png(h: Harness) -> None:
    from PIL import Image

    for day in range(3):
        h.now[0] = h.now[0] + timedelta(days=1)
        join = MemberJoin(PlatformName.TELEGRAM, COMMUNITY, ALICE, h.now[0])
        await h.ctx.observing(h.pipeline.handle)(join)
        await h.say("hello", mid=f"{day}0")
        await h.say("shit", mid=f"{day}1")
    await h.ctx.observing(h.pipeline.handle)(
        MemberLeave(PlatformName.TELEGRAM, COMMUNITY, ALICE, h.now[0])
    )
    await h.run("warn", "@bob")
    reply = await h.run("stats")
    assert reply.ephemeral
    lines = reply.text.splitlines()
    assert lines[0] == "Last 7 days:"
    assert lines[1] == "Messages: 6 · joined: 3 · left: 1"
    assert lines[2] == "Cases: 4 (pardoned: 0)"
    assert lines[3] == "Active strikes: 4 across 1 member(s)"
    assert "Top rules: swearing (3), moderator (1)" in reply.text
    assert reply.png is not None and reply.png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(reply.png)).convert("L")
    assert image.size == (800, 600)
    lo, hi = image.getextrema()
    assert hi - lo > 100  # drawn, not blank
    assert sum(1 for n in image.histogram() if n) > 20  # many shades: lines, bars, text


async def test_stats_days_argument(h: Harness) -> None:
    reply = await h.run("stats", "30")
    assert reply.text.startswith("Last 30 days:") and reply.png is not None
    assert (await h.run("stats", "0")).text.startswith("0 is out of range")
    assert (await h.run("stats", "x")).text == '"x" is not a number.'
    assert BOB.id
