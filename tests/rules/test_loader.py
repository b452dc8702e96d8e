"""The loader: a valid file loads; every class of mistake is reported with its line and column."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.rules.actions import Ban, Mute, Reply, Warn
from bot.rules.loader import (
    STRICT_ENV,
    LocatedProblem,
    RulesError,
    format_path,
    load_rules,
    load_rules_text,
    load_rules_with_source,
)
from bot.rules.schema import RuleSet

DATA = Path(__file__).resolve().parent.parent / "data" / "rules"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _strict(monkeypatch: pytest.MonkeyPatch) -> None:
    # A bug in the loader must fail the test, not hide as an "internal error" problem.
    monkeypatch.setenv(STRICT_ENV, "1")


def problems_of(name: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_rules(DATA / name)
    return [str(p).removeprefix(f"{DATA / name}:") for p in info.value.problems]


def text_problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_rules_text(text, "r.yaml")
    return [str(p) for p in info.value.problems]


def test_valid_file_loads_every_section() -> None:
    rs = load_rules(DATA / "valid.yaml")
    assert rs.path == DATA / "valid.yaml"
    assert rs.base_dir == DATA
    assert rs.version == 1
    assert rs.community.name == "Hội những người yêu sách"
    assert rs.community.language == "vi"
    assert rs.community.guidelines == ("Tôn trọng mọi thành viên.", "Không spam.")
    assert rs.community.welcome == "Chào mừng {member} đến với {community}!"
    assert rs.roles.moderators == ("Moderator", "123456789012345678")
    assert rs.roles.exempt == ("Trusted",)
    assert rs.channels.log == {"discord": "123456789012345678", "telegram": "-1001234567890"}
    assert rs.toxicity.backend == "off"  # unquoted `off` is false in YAML 1.1
    assert rs.toxicity.model == "original"
    assert rs.toxicity.on_error == "hold"
    assert rs.privacy.keep_message_text == timedelta(days=30)
    assert rs.escalation.strikes_expire == timedelta(days=30)
    assert [(s.strikes, s.sanction) for s in rs.escalation.ladder] == [
        (1, Warn()),
        (3, Mute(timedelta(hours=1))),
        (5, Ban(timedelta(weeks=1))),
        (7, Ban()),
    ]
    assert [r.id for r in rs.rules] == ["hate-speech", "phone-numbers", "flood", "shouting"]
    hate, phones, flood, shouting = rs.rules
    assert hate.description == "No hate speech"
    assert hate.actions.delete and hate.actions.strikes == 3
    assert hate.tests.match == ("you slur1", "slur2ish")
    assert hate.tests.no_match == ("a perfectly fine sentence",)
    assert hate.match.key == "words" and hate.match.modifiers["words_file"] == "words.txt"
    assert phones.description == "phone-numbers"  # defaults to the id
    assert phones.except_ is not None
    assert phones.actions.replies == frozenset(
        {Reply("{member}, no phone numbers please ({rule}).", "phone-numbers")}
    )
    assert flood.actions.sanction == Mute(timedelta(minutes=5))
    assert flood.enabled and flood.mode == "enforce" and flood.exempt_moderators
    assert not shouting.enabled and shouting.mode == "shadow" and not shouting.exempt_moderators
    assert shouting.actions.alert


def test_defaults_of_a_minimal_file() -> None:
    rs = load_rules_text("version: 1\nrules: []\n", "r.yaml")
    assert rs.rules == ()
    assert rs.path is None
    assert rs.community.language == "en" and rs.community.welcome is None
    assert rs.toxicity.backend == "builtin" and rs.toxicity.on_error == "allow"
    assert rs.privacy.keep_message_text == timedelta(days=90)
    assert rs.escalation.ladder == () and rs.escalation.strikes_expire is None
    assert rs.channels.log == {}


def test_empty_sections_count_as_absent() -> None:
    rs = load_rules_text("version: 1\ncommunity:\nescalation:\nrules: []\n", "r.yaml")
    assert rs.community.name == "" and rs.escalation.ladder == ()


# --- one file per class of mistake ---------------------------------------------------------------


def test_wrong_type() -> None:
    assert problems_of("wrong_type.yaml") == [
        '3:15: community.guidelines: expected a list, got "Be nice"',
        '6:14: rules[0].enabled: expected true or false, got "sometimes"',
        "7:30: rules[0].match.rate.messages: expected a whole number, got 'many'",
    ]


def test_unknown_key_with_did_you_mean() -> None:
    assert problems_of("unknown_key.yaml") == [
        '2:1: comunity: unknown key "comunity" (did you mean "community"?)',
        '5:5: rules[0]: missing required key "match"',
        '6:5: rules[0].mach: unknown key "mach" (did you mean "match"?)',
    ]


def test_unknown_key_without_a_close_one_lists_the_keys() -> None:
    (line,) = text_problems("version: 1\nrules: []\nfoo: 1\n")
    assert line.startswith('r.yaml:3:1: foo: unknown key "foo"; expected one of version, ')


def test_missing_required_key() -> None:
    assert problems_of("missing_key.yaml") == [
        '3:5: rules[0]: missing required key "match"',
        '5:5: rules[1]: missing required key "id"',
    ]
    assert text_problems("community: {}\n") == [
        'r.yaml:1:1: missing required key "version"',
        'r.yaml:1:1: missing required key "rules"',
    ]


def test_bad_duration() -> None:
    hint = "is not a duration (use 10s, 5m, 1h, 2d, 1w)"
    assert problems_of("bad_duration.yaml") == [
        f'5:35: rules[0].match.rate.within: "10 seconds" {hint}',
        f'6:30: rules[0].actions[1].mute: "forever" {hint}',
    ]


def test_unknown_template_placeholder() -> None:
    allowed = "allowed: {member}, {community}, {rule}, {reason}, {duration}"
    assert problems_of("unknown_placeholder.yaml") == [
        f'3:12: community.welcome: unknown placeholder "{{user}}"; {allowed}',
        f'7:31: rules[0].actions[1].reply: unknown placeholder "{{reson}}" '
        f'(did you mean "{{reason}}"?); {allowed}',
    ]


def test_duplicate_rule_id_is_located_at_the_second() -> None:
    assert problems_of("duplicate_id.yaml") == [
        '9:9: rules[2].id: duplicate rule id "spam" (first used by rules[0])'
    ]


def test_invalid_re2_pattern_names_the_position() -> None:
    (line,) = problems_of("bad_regex.yaml")
    assert line.startswith("5:27: rules[0].match.regex[1]: invalid pattern at position ")
    assert "missing )" in line


def test_missing_words_file() -> None:
    assert problems_of("missing_words_file.yaml") == [
        f'4:25: rules[0].match.words_file: file "{DATA / "no-such-words.txt"}" does not exist'
    ]


def test_unsupported_version() -> None:
    assert problems_of("unsupported_version.yaml") == [
        "1:10: version: unsupported version 2: this bot reads version 1"
    ]
    assert text_problems('version: "one"\nrules: []\n') == [
        'r.yaml:1:10: version: unsupported version "one": this bot reads version 1'
    ]


def test_not_yaml() -> None:
    (line,) = problems_of("not_yaml.yaml")
    assert line.startswith("5:5: not valid YAML: expected ',' or '}'")
    assert "starts at line 4, column 12" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "r.yaml:1:1: the file is empty; a rules file starts with version: 1 and has rules:"),
        ("# nothing\n", "r.yaml:1:1: the file is empty; "),
        ("- a\n- b\n", "r.yaml:1:1: expected a mapping of keys (version:, rules:, ...) at the top"),
        ("\n  just text\n", "r.yaml:2:3: expected a mapping of keys"),
        ("version: 1\nrules:\n\t- id: x\n", "r.yaml:3:1: not valid YAML: found character '\\t'"),
        ('a: "open\n', "r.yaml:2:1: not valid YAML: found unexpected end of stream"),
        ("version: 1\nrules: []\n---\nx: 1\n", "r.yaml:3:1: not valid YAML: the file holds more"),
    ],
)
def test_not_a_yaml_mapping_is_one_located_error(text: str, expected: str) -> None:
    (line,) = text_problems(text)
    assert line.startswith(expected)


def test_tabs_get_a_hint() -> None:
    (line,) = text_problems("version: 1\nrules:\n\t- id: x\n")
    assert line.endswith("YAML indents with spaces, not tabs")


def test_duplicate_mapping_key() -> None:
    assert problems_of("duplicate_key.yaml") == [
        '6:5: rules[0].match: duplicate key "match" (first on line 4); '
        "YAML would silently keep only the last one"
    ]


def test_bad_ladder() -> None:
    assert problems_of("bad_ladder.yaml") == [
        "4:17: escalation.ladder[0].strikes: expected a whole number of at least 1, got 0",
        "5:28: escalation.ladder[1].action: mute needs a duration, "
        "e.g. {strikes: 3, action: mute, duration: 1h}",
        "6:17: escalation.ladder[2].strikes: steps must have increasing strike counts: "
        "2 comes after 3",
        "6:44: escalation.ladder[2].duration: kick takes no duration",
        '7:28: escalation.ladder[3].action: expected one of warn, mute, kick, ban, got "bann" '
        '(did you mean "ban"?)',
    ]


def test_ladder_unknown_and_missing_keys() -> None:
    assert text_problems("version: 1\nescalation:\n  ladder:\n    - {strike: 2}\nrules: []\n") == [
        'r.yaml:4:7: escalation.ladder[0]: missing required key "strikes"',
        'r.yaml:4:7: escalation.ladder[0]: missing required key "action"',
        'r.yaml:4:8: escalation.ladder[0].strike: unknown key "strike" (did you mean "strikes"?)',
    ]


TEN = DATA / "ten_mistakes.yaml"
TEN_EXPECTED = [
    f"{TEN}:2:10: version: unsupported version 2: this bot reads version 1",
    f'{TEN}:4:1: comunity: unknown key "comunity" (did you mean "community"?)',
    f'{TEN}:10:19: rules[0].match.words_file: file "{DATA / "missing-words.txt"}" does not exist',
    f'{TEN}:11:31: rules[0].actions[1].reply: unknown placeholder "{{membr}}" (did you mean '
    '"{member}"?); allowed: {member}, {community}, {rule}, {reason}, {duration}',
    f'{TEN}:14:14: rules[1].enabled: expected true or false, got "sometimes"',
    f'{TEN}:15:41: rules[1].match.rate.within: "10 seconds" is not a duration '
    "(use 10s, 5m, 1h, 2d, 1w)",
    f'{TEN}:18:5: rules[2]: missing required key "actions"',
    f"{TEN}:19:21: rules[2].match.regex[0]: invalid pattern at position ",
    f'{TEN}:21:9: rules[3].id: duplicate rule id "flood" (first used by rules[1])',
    f'{TEN}:24:5: rules[3].actions: duplicate key "actions" (first on line 23); '
    "YAML would silently keep only the last one",
]


def _same(lines: list[str], expected: list[str]) -> None:
    assert len(lines) == len(expected), lines
    for line, want in zip(lines, expected, strict=True):
        # The regex line's tail is the pattern's own error text; its head is exact.
        assert line == want or (want.endswith("position ") and line.startswith(want)), line


def test_ten_mistakes_are_all_listed_with_line_and_column() -> None:
    with pytest.raises(RulesError) as info:
        load_rules(TEN)
    _same([str(p) for p in info.value.problems], TEN_EXPECTED)


def test_modbot_check_lists_the_ten_mistakes_and_exits_1() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(TEN)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    _same(done.stdout.splitlines(), TEN_EXPECTED)


# --- robustness ----------------------------------------------------------------------------------


def test_positions_map_every_key_and_value() -> None:
    _, source = load_rules_with_source(DATA / "valid.yaml")
    assert source.position(("rules", 2, "match", "rate", "within")) == (54, 41)
    assert source.position(("rules", 2, "match", "rate", "within"), "key") == (54, 33)
    assert source.position(("rules", 2, "match", "rate", "nope")) == (54, 19)
    assert source.position(("rules", 2, "match", "rate", "messages"), "parent") == (54, 19)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as info:
        load_rules(tmp_path / "absent.yaml")
    (p,) = info.value.problems
    assert (p.line, str(p)) == (
        0,
        f"{tmp_path / 'absent.yaml'}: cannot read the file: No such file or directory",
    )
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"version: 1\nrules: []\ncommunity: {name: caf\xe9}\n")
    with pytest.raises(RulesError) as info:
        load_rules(bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:3:22: the file is not UTF-8 text; save it as UTF-8"
    ]


def test_yaml_oddities_are_problems_not_tracebacks() -> None:
    assert text_problems("version: 1\nrules: []\ncommunity: {name: !foo x}\n") == [
        "r.yaml:3:19: community.name: cannot read this value: "
        "could not determine a constructor for the tag '!foo'"
    ]
    # An alias shares its anchor's node, so the position is the anchor's.
    assert text_problems("version: 1\nrules: []\nroles: &a {moderators: *a}\n") == [
        "r.yaml:3:8: roles.moderators: an alias refers to itself (*alias inside &anchor)"
    ]
    assert text_problems("version: 1\nrules: []\n[a]: 1\n") == [
        "r.yaml:3:1: a key must be plain text"
    ]


def test_merge_keys_and_anchors_work() -> None:
    text = (
        "version: 1\n"
        "rules:\n"
        "  - &spam {id: a, match: {words: [spam]}, actions: [delete]}\n"
        "  - <<: *spam\n"
        "    id: b\n"
        "    actions: [alert]\n"
    )
    a, b = load_rules_text(text, "r.yaml").rules
    assert (a.id, b.id) == ("a", "b")
    assert a.match == b.match
    assert a.actions.delete and not a.actions.alert
    assert b.actions.alert and not b.actions.delete


def test_unexpected_exception_becomes_a_problem_at_1_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STRICT_ENV)

    def boom(*args: object, **kwargs: object) -> RuleSet:
        raise RuntimeError("kaput")

    monkeypatch.setattr(RuleSet, "model_validate", boom)
    assert text_problems("version: 1\nrules: []\n") == [
        "r.yaml:1:1: internal error while loading: RuntimeError: kaput"
    ]
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(RuntimeError):
        load_rules_text("version: 1\nrules: []\n", "r.yaml")


def test_format_path_and_problem_text() -> None:
    assert format_path(("rules", 3, "match", "rate", "within")) == "rules[3].match.rate.within"
    assert format_path(("channels", "log", "a b")) == 'channels.log["a b"]'
    assert format_path(()) == ""
    p = LocatedProblem("rules.yaml", 42, 7, "rules[3].match.rate.within", "bad")
    assert str(p) == "rules.yaml:42:7: rules[3].match.rate.within: bad"
    assert str(LocatedProblem("rules.yaml", 1, 1, "", "bad")) == "rules.yaml:1:1: bad"
    err = RulesError([p, p])
    assert str(err) == f"{p}\n{p}"
