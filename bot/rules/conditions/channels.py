"""`channels`: the message is in one of the listed channels.

What it matches:
    Messages in a channel (Discord) or chat (Telegram) named (case-insensitive, ``#`` optional) or
    with an id in the list.

Parameters:
    A list of channel names or ids.

Example:
    except: {channels: ["promo", "-1001234567890"]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.roles import name_set


def _compile(params: list[str | int], modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    wanted = name_set(params)

    def matcher(subject: Subject) -> Match | None:
        channel = subject.message.channel
        if channel.id.casefold() in wanted or channel.name.casefold().lstrip("#") in wanted:
            return Match("channels", None, channel.name or channel.id)
        return None

    return Compiled(matcher)


CONDITION = Condition(
    key="channels", params=list[str | int], compile=_compile, summary="the message is in a channel"
)
