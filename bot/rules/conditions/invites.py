"""`invites`: a Discord server invite or a Telegram group/channel invite link.

What it matches:
    ``discord.gg/…``, ``dsc.gg/…``, ``discord.com/invite/…``, ``discordapp.com/invite/…``;
    ``t.me/joinchat/…`` and ``t.me/+…`` (also on ``telegram.me`` and ``telegram.dog``) and
    ``tg://join?invite=…``, written plainly or defanged (``discord . gg/abc``, ``discord。gg/abc``,
    invisible characters inside). A plain ``t.me/name`` (a public channel or a person) and
    ``t.me/+84123456789`` (a phone number) are links, not invites.

Parameters:
    ``true``.

Example:
    match: {invites: true}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.links import link_span


def _compile(params: bool, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    def matcher(subject: Subject) -> Match | None:
        view, placed = subject.links()
        if view is None:
            return None
        for base, s in placed:
            # The scan worked out each link's invite once (cached with its chunk).
            if s.invite is not None:
                first, last = base + s.link.start, base + s.link.end
                span = link_span(subject.nt, view, first, last)
                return Match("invites", span, view.text[first:last])
        return None

    return Compiled(matcher, needs=(("link_hint", 1),))


CONDITION = Condition(
    key="invites",
    params=Literal[True],
    compile=_compile,
    summary="a Discord invite or a Telegram group/channel invite link",
)
