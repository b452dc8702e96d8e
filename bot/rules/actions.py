"""Actions as data, and the laws that merge the actions of several rules into one set.

``merge`` is commutative and associative, and idempotent for everything but strikes (which add):
a message is deleted once, replies are a set, strikes add up, and the harshest sanction wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.rules.durations import DurationError, format_duration, parse_duration


@dataclass(frozen=True, slots=True)
class Warn:
    """Tell the member why and record a warning."""

    def severity(self) -> tuple[int, float]:
        return (1, 0.0)

    def to_yaml(self) -> Any:
        return "warn"


@dataclass(frozen=True, slots=True)
class Mute:
    """Discord timeout / Telegram restriction for ``duration``."""

    duration: timedelta

    def severity(self) -> tuple[int, float]:
        return (2, self.duration.total_seconds())

    def to_yaml(self) -> Any:
        return {"mute": format_duration(self.duration)}


@dataclass(frozen=True, slots=True)
class Kick:
    """Remove the member; they may rejoin."""

    def severity(self) -> tuple[int, float]:
        return (3, 0.0)

    def to_yaml(self) -> Any:
        return "kick"


@dataclass(frozen=True, slots=True)
class Ban:
    """Ban permanently (``duration`` None) or until the duration ends."""

    duration: timedelta | None = None

    def severity(self) -> tuple[int, float]:
        if self.duration is None:
            return (5, 0.0)
        return (4, self.duration.total_seconds())

    def to_yaml(self) -> Any:
        return "ban" if self.duration is None else {"ban": format_duration(self.duration)}


Sanction = Warn | Mute | Kick | Ban


def harshest(a: Sanction | None, b: Sanction | None) -> Sanction | None:
    """The harsher of two sanctions (None is no sanction); ties keep ``a``, which equals ``b``."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a.severity() >= b.severity() else b


@dataclass(frozen=True, slots=True, order=True)
class Reply:
    """A message to post in the channel; the template is rendered with the rule that asked for it."""

    template: str
    rule_id: str = ""


@dataclass(frozen=True, slots=True)
class ActionSet:
    """The merged actions of one or more rules."""

    delete: bool = False
    strikes: int = 0
    sanction: Sanction | None = None
    replies: frozenset[Reply] = field(default_factory=frozenset)
    alert: bool = False

    def merge(self, other: ActionSet) -> ActionSet:
        """Combine two action sets by the laws in this module's docstring."""
        return ActionSet(
            delete=self.delete or other.delete,
            strikes=self.strikes + other.strikes,
            sanction=harshest(self.sanction, other.sanction),
            replies=self.replies | other.replies,
            alert=self.alert or other.alert,
        )

    @property
    def empty(self) -> bool:
        """True when there is nothing to do."""
        return self == EMPTY

    def to_yaml(self) -> list[Any]:
        """The set written as a rules-file action list (used by ``explain --json``)."""
        out: list[Any] = []
        if self.delete:
            out.append("delete")
        if self.sanction is not None:
            out.append(self.sanction.to_yaml())
        if self.strikes == 1:
            out.append("strike")
        elif self.strikes > 1:
            out.append({"strike": self.strikes})
        out.extend({"reply": r.template} for r in sorted(self.replies))
        if self.alert:
            out.append("alert")
        return out


EMPTY = ActionSet()


def merge_all(sets: Iterable[ActionSet]) -> ActionSet:
    """Merge any number of action sets (the empty merge is EMPTY)."""
    out = EMPTY
    for s in sets:
        out = out.merge(s)
    return out


class ActionError(ValueError):
    """An action in the rules file that cannot be read."""


_BARE = {"delete", "warn", "strike", "kick", "ban", "alert"}
_WITH_VALUE = {"strike", "mute", "ban", "reply"}
ACTION_NAMES = sorted(_BARE | _WITH_VALUE)


def parse_action(item: object, rule_id: str = "") -> ActionSet:
    """Read one entry of a rule's ``actions`` list (``delete``, ``{strike: 3}``, ``{mute: 1h}``...)."""
    if isinstance(item, str):
        if item not in _BARE:
            hint = " (needs a value, e.g. {mute: 10m})" if item in _WITH_VALUE else ""
            raise ActionError(
                f'unknown action "{item}"{hint}; expected one of {", ".join(ACTION_NAMES)}'
            )
        return _bare(item)
    if isinstance(item, dict) and len(item) == 1:
        ((name, value),) = item.items()
        if name not in _WITH_VALUE:
            raise ActionError(f'unknown action "{name}"; expected one of {", ".join(ACTION_NAMES)}')
        return _valued(str(name), value, rule_id)
    raise ActionError("an action is a name (delete) or a one-key mapping ({mute: 10m})")


def _bare(name: str) -> ActionSet:
    if name == "delete":
        return ActionSet(delete=True)
    if name == "warn":
        return ActionSet(sanction=Warn())
    if name == "strike":
        return ActionSet(strikes=1)
    if name == "kick":
        return ActionSet(sanction=Kick())
    if name == "ban":
        return ActionSet(sanction=Ban())
    return ActionSet(alert=True)


def _valued(name: str, value: object, rule_id: str) -> ActionSet:
    if name == "strike":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
            raise ActionError(f"strike: {value!r} is not a number of strikes (1 to 100)")
        return ActionSet(strikes=value)
    if name == "reply":
        if not isinstance(value, str) or not value.strip():
            raise ActionError("reply: expected a message template (text)")
        return ActionSet(replies=frozenset({Reply(value, rule_id)}))
    try:
        duration = parse_duration(value)
    except DurationError as exc:
        raise ActionError(f"{name}: {exc}") from None
    if name == "mute":
        return ActionSet(sanction=Mute(duration))
    return ActionSet(sanction=Ban(duration))
