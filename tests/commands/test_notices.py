"""A moderator's sanction is answered by the command itself: no automatic notice besides it."""

from __future__ import annotations

import pytest

from bot.storage import cases as case_store
from tests.commands.conftest import Harness


@pytest.mark.parametrize(
    ("command", "args", "kind"),
    [("mute", "@bob 10m spam", "mute"), ("kick", "@bob spam", "kick"), ("ban", "@bob spam", "ban")],
)
async def test_a_moderator_sanction_posts_no_notice(
    h: Harness, command: str, args: str, kind: str
) -> None:
    reply = await h.run(command, args)
    assert not reply.ephemeral and "(case #1)" in reply.text  # the one answer in the chat
    assert "send_message" not in h.platform.methods()
    case = await case_store.get_case(h.db, 1)
    assert case is not None and [a.kind for a in case.actions] == [kind, "log"]


@pytest.mark.parametrize("lang", ["vi"])
async def test_a_moderator_warning_carries_the_appeal_hint(h: Harness) -> None:
    msg = await h.say("hello there", mid="10")
    await h.run("warn", "be nice", reply=msg)
    (call,) = [c for c in h.platform.done if c.method == "send_message"]
    assert call.args[2] == (
        "Bob, đây là lời cảnh cáo: be nice\nNếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 1 kèm lý do."
    )
