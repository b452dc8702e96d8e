"""`roles`: the member has one of the listed roles.

What it matches:
    Members with a role named (case-insensitive) or with an id in the list. Discord only: Telegram
    members have no roles, so there it never holds (and ``roles.moderators``/``roles.exempt`` do
    not apply: a Telegram chat's administrators are its moderators).

Parameters:
    A list of role names or ids.

Example:
    except: {roles: ["Partner", "123456789012345678"]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject


def name_set(values: list[str | int]) -> frozenset[str]:
    """Names folded for comparison, ids as strings."""
    return frozenset(str(v).casefold().lstrip("#") for v in values)


def _compile(params: list[str | int], modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    wanted = name_set(params)

    def matcher(subject: Subject) -> Match | None:
        for role in subject.message.author.roles:
            if role.id.casefold() in wanted or role.name.casefold() in wanted:
                return Match("roles", None, role.name or role.id)
        return None

    return Compiled(matcher)


CONDITION = Condition(
    key="roles", params=list[str | int], compile=_compile, summary="the member has a role"
)
