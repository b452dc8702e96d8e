"""A decision rendered for people (``modbot explain``, ``/why``) or as the JSON in interfaces.md."""

from __future__ import annotations

from typing import Any

from bot.rules.engine import Decision, RuleMatch


def decision_json(decision: Decision) -> dict[str, Any]:
    """The ``explain --json`` object: text, normalized, matches (shadow too), merged actions."""
    return {
        "text": decision.message.text,
        "normalized": decision.normalized,
        "matches": [_match_json(decision, m) for m in decision.matches],
        "actions": decision.actions.to_yaml(),
        "shadow_actions": decision.shadow_actions.to_yaml(),
    }


def _match_json(decision: Decision, match: RuleMatch) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": match.rule_id,
        "mode": match.mode,
        "condition": match.condition,
        "span": list(match.span) if match.span is not None else None,
        "matched": match.matched,
    }
    if match.span is not None:
        start, end = decision.nt.original_span(*match.span)
        out["original_span"] = [start, end]
        out["original"] = decision.message.text[start:end]
    out["actions"] = match.actions.to_yaml()
    return out


def highlight(text: str, span: tuple[int, int] | None, left: str = "[", right: str = "]") -> str:
    """``text`` with the span wrapped in markers."""
    if span is None:
        return text
    start, end = span
    return f"{text[:start]}{left}{text[start:end]}{right}{text[end:]}"


def _action_words(actions: list[Any]) -> str:
    parts = []
    for a in actions:
        if isinstance(a, dict):
            ((k, v),) = a.items()
            parts.append(f"{k} {v}" if k != "reply" else "reply")
        else:
            parts.append(str(a))
    return ", ".join(parts) if parts else "nothing"


def decision_text(decision: Decision) -> str:
    """A short human explanation, several lines."""
    lines = [f"message:    {decision.message.text}", f"normalized: {decision.normalized}"]
    if not decision.matches:
        lines.append("no rule matches")
        return "\n".join(lines)
    for m in decision.matches:
        where = ""
        if m.span is not None:
            o_start, o_end = decision.nt.original_span(*m.span)
            where = (
                f" at {m.span[0]}-{m.span[1]}: {highlight(decision.message.text, (o_start, o_end))}"
            )
        shadow = " (shadow: only alerts, nothing a member sees)" if m.mode == "shadow" else ""
        lines.append(f"rule {m.rule_id}{shadow}: {m.condition} matched {m.matched!r}{where}")
        lines.append(f"  why: {m.description}")
        lines.append(f"  actions: {_action_words(m.actions.to_yaml())}")
    lines.append(f"would do: {_action_words(decision.actions.to_yaml())}")
    if not decision.shadow_actions.empty:
        lines.append(f"shadow would do: {_action_words(decision.shadow_actions.to_yaml())}")
    return "\n".join(lines)
