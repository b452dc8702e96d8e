"""The pydantic models of the rules file: defaults, conversions, frozen values, error wording."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.rules.actions import ActionSet, Ban, Kick, Mute, Warn
from bot.rules.loader import STRICT_ENV
from bot.rules.schema import (
    Channels,
    Community,
    Escalation,
    LadderStep,
    Rule,
    RuleSet,
    ToxicitySettings,
    flatten_errors,
    keys_at,
    template_problems,
)


@pytest.fixture(autouse=True)
def _strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRICT_ENV, "1")


def errors(model: Any, data: Any) -> list[tuple[tuple[str | int, ...], str, str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return flatten_errors(info.value.errors(include_url=False))


RULE = {"id": "r", "match": {"words": ["spam"]}, "actions": ["delete"]}


def test_backend_off_unquoted_and_other_spellings() -> None:
    assert ToxicitySettings.model_validate({"backend": False}).backend == "off"
    assert ToxicitySettings.model_validate({"backend": "off"}).backend == "off"
    assert ToxicitySettings.model_validate({"backend": True}).backend == "builtin"
    assert ToxicitySettings().backend == "builtin"
    assert errors(ToxicitySettings, {"backend": "detox"}) == [
        (
            ("backend",),
            'expected one of builtin, detoxify, off, got "detox" (did you mean "detoxify"?)',
            "value",
        )
    ]


def test_numbers_become_text_where_text_is_meant() -> None:
    log = Channels.model_validate({"log": {"discord": 123456789012345678, "telegram": -100123}}).log
    assert log == {"discord": "123456789012345678", "telegram": "-100123"}
    assert Community.model_validate({"name": 1984}).name == "1984"
    assert Community.model_validate({"welcome": ""}).welcome is None
    # true is not text: YAML read an unquoted yes/on/true
    assert errors(Community, {"name": True}) == [(("name",), "expected text, got true", "value")]


def test_unknown_platform_in_log_points_at_the_key() -> None:
    assert errors(Channels, {"log": {"slack": "1"}}) == [
        (("log", "slack"), 'expected one of discord, telegram, got "slack"', "key")
    ]


def test_ladder_steps_and_their_sanctions() -> None:
    ladder = Escalation.model_validate(
        {
            "ladder": [
                {"strikes": 1, "action": "warn"},
                {"strikes": 2, "action": "mute", "duration": "10m"},
                {"strikes": 3, "action": "kick"},
                {"strikes": 4, "action": "ban", "duration": "1d"},
                {"strikes": 5, "action": "ban"},
            ]
        }
    ).ladder
    assert [s.sanction for s in ladder] == [
        Warn(),
        Mute(timedelta(minutes=10)),
        Kick(),
        Ban(timedelta(days=1)),
        Ban(),
    ]
    # Built in code, with the sanction itself.
    assert LadderStep(strikes=3, sanction=Kick()).sanction == Kick()
    with pytest.raises(ValidationError):
        LadderStep(strikes=0, sanction=Kick())


def test_ladder_mistakes() -> None:
    found = errors(
        Escalation,
        {
            "ladder": [
                {"strikes": 2, "action": "warn", "duration": "1h"},
                {"strikes": 2, "action": "mute"},
                {"strikes": "x", "action": "ban", "duration": "ever", "when": 1},
            ]
        },
    )
    assert found == [
        (("ladder", 0, "duration"), "warn takes no duration", "value"),
        (
            ("ladder", 1, "action"),
            "mute needs a duration, e.g. {strikes: 3, action: mute, duration: 1h}",
            "value",
        ),
        (
            ("ladder", 2, "when"),
            'unknown key "when"; expected one of strikes, action, duration',
            "key",
        ),
        (("ladder", 2, "strikes"), 'expected a whole number of at least 1, got "x"', "value"),
        (
            ("ladder", 2, "duration"),
            '"ever" is not a duration (use 10s, 5m, 1h, 2d, 1w)',
            "value",
        ),
        (
            ("ladder", 1, "strikes"),
            "steps must have increasing strike counts: 2 comes after 2",
            "value",
        ),
    ]


def test_rule_defaults_and_alias() -> None:
    rule = Rule.model_validate({**RULE, "except": {"channels": ["promo"]}})
    assert rule.description == "r"
    assert rule.enabled and rule.mode == "enforce" and rule.exempt_moderators
    assert rule.except_ is not None
    assert rule.actions == ActionSet(delete=True)
    assert rule.tests.match == () and rule.tests.count == 0
    single = Rule.model_validate({**RULE, "actions": "delete", "tests": {"match": "spam"}})
    assert single.actions == ActionSet(delete=True) and single.tests.match == ("spam",)


def test_rule_built_in_code_keeps_nodes_and_action_sets() -> None:
    parsed = Rule.model_validate(RULE)
    again = Rule(id="r2", match=parsed.match, actions=ActionSet(alert=True))
    assert again.match is parsed.match and again.actions.alert and again.description == "r2"


def test_models_are_frozen() -> None:
    rs = RuleSet.model_validate({"version": 1, "rules": [RULE]})
    with pytest.raises(ValidationError):
        rs.version = 2  # type: ignore[misc]
    with pytest.raises(ValidationError):
        rs.rules[0].enabled = False  # type: ignore[misc]
    assert isinstance(rs.rules, tuple)
    assert rs.path is None and rs.base_dir == Path.cwd()
    located = rs.with_path("/x/rules.yaml")
    assert located.path == Path("/x/rules.yaml") and located.base_dir == Path("/x")
    assert rs.path is None
    assert located.rule("r") is located.rules[0] and located.rule("nope") is None


def test_rule_id_form_and_duplicates() -> None:
    found = errors(
        RuleSet,
        {"version": 1, "rules": [RULE, {**RULE, "id": "Hate Speech"}, RULE]},
    )
    assert found == [
        (
            ("rules", 1, "id"),
            'rule id "Hate Speech" may use only lower-case letters, digits and "-" '
            '(e.g. "hate-speech")',
            "value",
        ),
        (("rules", 2, "id"), 'duplicate rule id "r" (first used by rules[0])', "value"),
    ]


def test_action_mistakes_are_located_per_item() -> None:
    found = errors(
        Rule,
        {
            **RULE,
            "actions": ["delet", {"mute": "soon"}, {"stike": 2}, {"reply": "{x}"}, {"strike": 0}],
        },
    )
    names = "alert, ban, delete, kick, mute, reply, strike, warn"
    assert found == [
        (
            ("actions", 0),
            f'unknown action "delet" (did you mean "delete"?); expected one of {names}',
            "value",
        ),
        (("actions", 1, "mute"), '"soon" is not a duration (use 10s, 5m, 1h, 2d, 1w)', "value"),
        (
            ("actions", 2, "stike"),
            f'unknown action "stike" (did you mean "strike"?); expected one of {names}',
            "key",
        ),
        (
            ("actions", 3, "reply"),
            'unknown placeholder "{x}"; '
            "allowed: {member}, {community}, {rule}, {reason}, {duration}",
            "value",
        ),
        (("actions", 4, "strike"), "0 is not a number of strikes (1 to 100)", "value"),
    ]
    assert errors(Rule, {**RULE, "actions": []}) == [
        (("actions",), "a rule needs at least one action, e.g. [delete, strike]", "value")
    ]


def test_condition_problems_are_nested_under_match() -> None:
    found = errors(Rule, {**RULE, "match": {"wrods": ["x"]}, "except": {"rate": {"messages": 2}}})
    assert found == [
        (("match", "wrods"), 'unknown condition "wrods" (did you mean "words"?)', "key"),
        (("except", "rate", "within"), 'missing required key "within"', "parent"),
    ]


def test_templates() -> None:
    assert template_problems("Hi {member}, see {rule} ({reason}, {duration}) in {community}") == []
    assert template_problems("{{literal}} braces") == []
    assert template_problems("Hi {membr}") == [
        'unknown placeholder "{membr}" (did you mean "{member}"?); '
        "allowed: {member}, {community}, {rule}, {reason}, {duration}"
    ]
    assert template_problems("Hi {}")[0].startswith('unknown placeholder "{}"')
    assert template_problems("Hi {member!r}") == [
        'placeholder "{member}" takes no format; write just {member}'
    ]
    assert template_problems("Hi {member") == [
        'unbalanced "{" or "}" (write {{ or }} for a literal brace)'
    ]


def test_version() -> None:
    assert errors(RuleSet, {"version": True, "rules": []}) == [
        (("version",), "unsupported version true: this bot reads version 1", "value")
    ]


def test_keys_at_follows_the_models() -> None:
    assert keys_at(()) == [
        "version",
        "community",
        "roles",
        "channels",
        "toxicity",
        "privacy",
        "escalation",
        "rules",
    ]
    assert "except" in keys_at(("rules", 0))
    assert keys_at(("rules", 0, "tests")) == ["match", "no_match"]
    assert keys_at(("escalation",)) == ["strikes_expire", "ladder"]
    assert keys_at(("rules", 0, "match")) == []
    assert keys_at(("nope",)) == []


def test_json_schema_covers_the_file_and_every_condition() -> None:
    import json

    from bot.rules.conditions import CONDITIONS, MODIFIERS
    from bot.rules.schema import json_schema

    schema = json_schema()
    text = json.dumps(schema)
    assert "x-modbot" not in text and '"format": "duration"' not in text
    assert schema["required"] == ["version", "rules"]
    assert set(schema["properties"]) == set(keys_at(()))
    defs = schema["$defs"]
    rule = defs["Rule"]
    assert rule["required"] == ["id", "match", "actions"]
    assert "except" in rule["properties"] and rule["properties"]["id"]["pattern"] == "^[a-z0-9-]+$"
    assert rule["properties"]["match"] == {"$ref": "#/$defs/Condition"}
    condition = defs["Condition"]["properties"]
    assert set(condition) == {*CONDITIONS, *MODIFIERS, "all", "any", "not"}
    assert defs["LadderStep"]["required"] == ["strikes", "action"]
    assert defs["Privacy"]["properties"]["keep_message_text"]["default"] == "90d"
    # Every reference resolves.
    for ref in set(re.findall(r'"#/\$defs/([^"]+)"', text)):
        assert ref in defs, ref
