"""Feature bounds (``Compiled.needs``): skipping a rule on them never changes a decision."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events import Attachment
from bot.rules import Engine, EvalContext, History
from bot.rules.conditions.base import FEATURES, Subject
from bot.rules.conditions.emoji import count_emoji
from bot.rules.conditions.mentions import mentioned_ids
from bot.rules.loader import load_rules_text
from bot.rules.normalize import normalize
from tests.factories import author, message

ROOT = Path(__file__).resolve().parents[2]

GATED_RULES = [
    {"id": "caps", "match": {"caps": {"at_least": 0.7, "min_length": 5}}, "actions": ["delete"]},
    {"id": "caps0", "match": {"caps": {"at_least": 0, "min_length": 3}}, "actions": ["alert"]},
    {"id": "emoji", "match": {"emoji": {"at_least": 2}}, "actions": ["delete"]},
    {"id": "mentions", "match": {"mentions": {"at_least": 2}}, "actions": ["delete"]},
    {"id": "mass", "match": {"mass_mention": True}, "actions": ["delete"]},
    {"id": "links", "match": {"links": True}, "actions": ["alert"]},
    {"id": "invites", "match": {"invites": True}, "actions": ["delete"]},
    {"id": "rate", "match": {"rate": {"messages": 3, "within": "10s"}}, "actions": ["delete"]},
    {
        "id": "dupes",
        "match": {"duplicates": {"messages": 2, "within": "1m"}},
        "actions": ["delete"],
    },
    {"id": "files", "match": {"attachments": {"at_least": 2}}, "actions": ["delete"]},
    {
        "id": "walls",
        "match": {
            "any": [
                {"lines": {"at_least": 3}},
                {"length": {"at_least": 40}},
                {"repeated": {"at_least": 4}},
            ]
        },
        "actions": ["delete"],
    },
    {
        "id": "both",
        "match": {"all": [{"length": {"at_least": 4}}, {"not": {"caps": {}}}]},
        "actions": ["alert"],
    },
    {"id": "toxic", "match": {"toxicity": {"at_least": 0.5}}, "actions": ["delete"]},
]

SAMPLES = [
    "hello there",
    "HELLO THERE EVERYONE",
    "ABCDe",  # 80% capitals with fewer capitals than min_length
    "ĐĐĐĐe",
    "Hi",
    "ok",
    "",
    "😂😂",
    "😂 nice",
    "<:pepe:123456789012345678> <:pepe:123456789012345678>",
    "@alice @bob look",
    "@everyone free stuff",
    "@here",
    "see example.com",
    "join discord.gg/abc123",
    "t.me/+AbCdEf12345",
    "line one\nline two\nline three",
    "a" * 50,
    "noooooo",
    "ĐI NGỦ THÔI CÁC BẠN",
    "ｆｒｅｅ ｎｉｔｒｏ",
    "hxxp://evil[.]com",
    "123 456",
    "🄰🄱🄲🄳🄴 🄵",  # squared letters: not capitals, NFKC makes them capitals
    "ⒶⒷⒸⒹⒺ",  # circled letters: capitals (Other_Uppercase)
    "𝐀𝐁𝐂𝐃𝐄 ok",  # astral capitals
    "ǅǅǅǅǅ",  # titlecase: neither capital nor lowercase
    "ΣΣΣΣσ ＡＢＣＤＥ",
]


def _engine(tmp_path: Path, rules: list[dict[str, object]]) -> Engine:
    text = yaml.safe_dump({"version": 1, "rules": rules}, allow_unicode=True)
    return Engine(load_rules_text(text, "rules.yaml", tmp_path), base_dir=tmp_path)


def _ungated(engine: Engine) -> None:
    """The same engine evaluating every rule that has no trigger on every message."""
    always = [r for r in engine._rules if r.match.triggers is None]
    engine._gates = []
    engine._always = always
    engine._always_positions = frozenset(r.position for r in always)


def _decide_all(engine: Engine, texts: list[str], scored: bool) -> list[list[tuple[str, str]]]:
    history = History()
    who = [author(id=str(i)) for i in range(3)]
    out = []
    for i, text in enumerate(texts):
        files = tuple(Attachment(f"f{k}.png") for k in range(i % 3))
        m = message(text, seconds=i, who=who[i % 3], attachments=files)
        ctx = EvalContext(
            now=m.timestamp, history=history, scores={"toxicity": 0.9} if scored else None
        )
        out.append([(x.rule_id, x.condition) for x in engine.decide(m, ctx).matches])
    return out


def test_every_gated_condition_declares_its_bound(tmp_path: Path) -> None:
    engine = _engine(tmp_path, GATED_RULES)
    gated = {pos for _, _, pairs in engine._gates for _, pos in pairs}
    assert {engine._rules[p].rule.id for p in gated} == {r["id"] for r in GATED_RULES}
    assert engine._always == []


def test_gated_and_ungated_engines_decide_the_same(tmp_path: Path) -> None:
    texts = SAMPLES * 3  # repeats: rate and duplicates build up
    for scored in (False, True):
        gated = _engine(tmp_path, GATED_RULES)
        full = _engine(tmp_path, GATED_RULES)
        _ungated(full)
        got = _decide_all(gated, texts, scored)
        assert got == _decide_all(full, texts, scored)
        assert any(got)  # the samples do fire rules, so the comparison means something


def test_example_rules_gated_and_ungated_agree(tmp_path: Path) -> None:
    ruleset = load_rules_text((ROOT / "rules.example.yaml").read_text(), "rules.yaml", ROOT)
    gated, full = Engine(ruleset, base_dir=ROOT), Engine(ruleset, base_dir=ROOT)
    _ungated(full)
    texts = SAMPLES * 2
    assert _decide_all(gated, texts, False) == _decide_all(full, texts, False)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"aA Đđ😂@<:>.\n!x1éⒶǅ", "🄰", "𝐀"]), max_size=60))
def test_features_bound_what_conditions_count(text: str) -> None:
    m = message(text)
    subject = Subject(m, EvalContext(now=m.timestamp), normalize(text))
    # ``caps`` holds only when the text it reads has enough capitals (before NFKC).
    assert FEATURES["capitals"](subject) == sum(map(str.isupper, subject.nt.source))
    assert FEATURES["chars"](subject) >= count_emoji(text)
    assert FEATURES["symbols"](subject) >= count_emoji(text)
    assert FEATURES["mention_marks"](subject) >= len(mentioned_ids(subject))
    if not subject.links()[1]:
        return
    assert FEATURES["link_hint"](subject) == 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-30, 300), st.sampled_from(["a", "b", "c"])),
        max_size=60,
    )
)
def test_same_text_counts_the_texts_in_each_members_window(
    records: list[tuple[int, int, str]],
) -> None:
    from datetime import timedelta

    from tests.factories import T0

    history = History(max_window=timedelta(seconds=60), max_per_member=5, max_members=3)
    for member, delta, text in records:
        history.record(("discord", "c", str(member)), T0 + timedelta(seconds=delta), text)
    for member in range(4):
        key = ("discord", "c", str(member))
        window = history.window(key)
        assert len(window) <= 5
        for text in ("a", "b", "c"):
            kept = sum(1 for _, t in window if t == text)
            assert history.same_text(key, text) == kept
            assert history.count_same_since(key, text, T0 - timedelta(days=1)) == kept
    for window, texts in history._members.values():  # no count kept for a text gone from it
        assert texts == {t: sum(1 for _, u in window if u == t) for _, t in window}
