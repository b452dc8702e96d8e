"""/reload and the toxicity scorer: loaded when the settings ask for another, kept when they do not,
closed when swapped out; a scorer that cannot load refuses the reload (old rules and scorer stay).

The built-in model is the real one (offline, loads in well under a second); ``detoxify`` is played
by a fake, so no torch is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.moderation.scoring import (
    ClosableScorer,
    ScorerKey,
    UnavailableScorer,
    load_for,
    open_scorer,
)
from bot.rules import Engine, load_rules
from bot.storage import Database
from bot.toxicity import ModelNotFound, ScorerUnavailable
from tests.commands.conftest import Clock, Harness, open_harness

HEAD = """
version: 1
community: {{name: Test group, language: {lang}}}
channels: {{log: {{telegram: "-200"}}}}
{toxicity}
rules:
  - id: swearing
    match: {{words: [{words}]}}
    actions: [delete]
"""
TOXIC_RULE = """
  - id: toxic
    match: {toxicity: {at_least: 0.5}}
    actions: [delete]
"""
INSULT = "you are a fucking idiot"


def rules_text(
    lang: str = "en", toxicity: str = "", words: str = "shit", toxic_rule: bool = True
) -> str:
    text = HEAD.format(lang=lang, toxicity=toxicity, words=words)
    return text + TOXIC_RULE if toxic_rule else text


class FakeDetoxify:
    """Stands in for a detoxify scorer: "hate" is toxic; records being closed; may be gated."""

    def __init__(self, key: ScorerKey) -> None:
        self.key = key
        self.closed = False
        self.gate: asyncio.Event | None = None
        self.calls = 0

    async def score(self, text: str) -> dict[str, float]:
        if self.closed:
            raise ScorerUnavailable("closed")
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.closed:
            raise ScorerUnavailable("closed while scoring")
        return {"toxicity": 0.99 if "hate" in text else 0.01}

    async def aclose(self) -> None:
        self.closed = True


class Loader:
    """``open_scorer`` for builtin, ``FakeDetoxify`` for detoxify unless it is "not installed"."""

    def __init__(self, detoxify_installed: bool) -> None:
        self.loaded: list[ScorerKey] = []
        self.detoxify_installed = detoxify_installed

    def __call__(self, key: ScorerKey) -> ClosableScorer:
        self.loaded.append(key)
        if key[0] == "detoxify":
            if not self.detoxify_installed or key[1] == "missing":
                raise ModelNotFound(f"detoxify model {key[1]!r} not found")
            return FakeDetoxify(key)
        return open_scorer(key)


@pytest.fixture
def detoxify_installed() -> bool:
    return True


@pytest.fixture
def loader(detoxify_installed: bool) -> Loader:
    return Loader(detoxify_installed)


@pytest.fixture
def start_rules() -> str:
    """The rules file the bot starts with (tests override it)."""
    return rules_text()


@pytest.fixture
async def bot(tmp_path: Path, loader: Loader, start_rules: str) -> AsyncIterator[Harness]:
    """The command harness, with the scorer loaded and managed as ``bot.app.run`` does."""

    async def make_pipeline(db: Database, executor: Executor, clock: Clock, path: Path) -> Pipeline:
        ruleset = load_rules(path)
        engine = Engine(ruleset)
        toxicity = await asyncio.to_thread(load_for, ruleset, engine.needs_scores, loader)
        return Pipeline(
            db, executor, ruleset, engine, clock=clock, toxicity=toxicity, scorer_loader=loader
        )

    harness = await open_harness(tmp_path, start_rules, make_pipeline)
    yield harness
    await harness.pipeline.drain()
    await harness.pipeline.close_scorer()
    await harness.db.close()


async def deleted_after(bot: Harness, text: str, mid: str) -> bool:
    """Whether the message is deleted once the background toxicity pass has run."""
    before = bot.platform.methods().count("delete_message")
    await bot.say(text, mid=mid)
    await bot.pipeline.drain()
    return bot.platform.methods().count("delete_message") > before


async def assert_closed(scorer: ClosableScorer) -> None:
    with pytest.raises(ScorerUnavailable):
        await scorer.score("hello")


@pytest.mark.parametrize("start_rules", [rules_text(toxic_rule=False)])
async def test_reload_turning_toxicity_on_loads_the_scorer_and_its_rules_decide(
    bot: Harness, loader: Loader
) -> None:
    assert bot.pipeline.scorer is None and loader.loaded == []
    assert not await deleted_after(bot, INSULT, "1")
    bot.rules.write_text(rules_text())
    reply = await bot.run("reload")
    assert reply.text == "Rules reloaded: 2 rules.\nToxicity scorer loaded: builtin."
    assert loader.loaded == [("builtin", None)]
    assert bot.pipeline.toxicity is not None and bot.pipeline.toxicity.error is None
    assert await deleted_after(bot, INSULT, "2")
    assert not await deleted_after(bot, "have a nice day", "3")


async def test_reload_with_the_same_toxicity_settings_keeps_the_same_scorer(
    bot: Harness, loader: Loader
) -> None:
    assert loader.loaded == [("builtin", None)]  # at start
    assert bot.pipeline.toxicity is not None
    scorer = bot.pipeline.toxicity.scorer
    # New words, a stricter on_error, and an explicit model, which builtin ignores: no new model.
    bot.rules.write_text(
        rules_text(
            toxicity="toxicity: {backend: builtin, model: x, on_error: hold}", words="banana"
        )
    )
    reply = await bot.run("reload")
    assert reply.text == "Rules reloaded: 2 rules."
    assert loader.loaded == [("builtin", None)]
    assert bot.pipeline.toxicity.scorer is scorer
    assert bot.pipeline.ruleset.toxicity.on_error == "hold"  # read from the rules, applies now
    assert await deleted_after(bot, "banana", "1")  # the new rules are in use
    assert await deleted_after(bot, INSULT, "2")  # with the scorer still open


async def test_reload_changing_the_backend_loads_the_new_scorer_and_closes_the_old(
    bot: Harness, loader: Loader
) -> None:
    assert bot.pipeline.toxicity is not None
    old = bot.pipeline.toxicity.scorer
    bot.rules.write_text(rules_text(toxicity="toxicity: {backend: detoxify, model: unbiased}"))
    reply = await bot.run("reload")
    assert reply.text == "Rules reloaded: 2 rules.\nToxicity scorer loaded: detoxify (unbiased)."
    assert loader.loaded[-1] == ("detoxify", "unbiased")
    new = bot.pipeline.toxicity.scorer
    assert isinstance(new, FakeDetoxify) and not new.closed
    await assert_closed(old)
    assert await deleted_after(bot, "I hate you", "1")  # the fake's judgement, not the model's
    assert not await deleted_after(bot, INSULT, "2")
    # Another model of the same backend is another scorer too.
    bot.rules.write_text(rules_text(toxicity="toxicity: {backend: detoxify, model: original}"))
    assert (await bot.run("reload")).text.endswith("loaded: detoxify (original).")
    assert new.closed


@pytest.mark.parametrize(
    "new_rules",
    [rules_text(toxic_rule=False), rules_text(toxicity="toxicity: {backend: off}")],
    ids=["no-toxicity-rule", "backend-off"],
)
async def test_reload_that_needs_no_scores_closes_the_scorer(
    bot: Harness, loader: Loader, new_rules: str
) -> None:
    assert bot.pipeline.toxicity is not None
    old = bot.pipeline.toxicity.scorer
    bot.rules.write_text(new_rules)
    reply = await bot.run("reload")
    assert reply.text.splitlines()[1] == (
        "Toxicity scorer stopped: no rule needs it now (or toxicity.backend is off)."
    )
    assert bot.pipeline.scorer is None and bot.pipeline.toxicity is None
    await assert_closed(old)
    assert not await deleted_after(bot, INSULT, "1")
    assert await deleted_after(bot, "shit", "2")
    assert loader.loaded == [("builtin", None)]


async def test_reload_whose_scorer_cannot_load_keeps_the_old_rules_and_scorer(
    bot: Harness, loader: Loader
) -> None:
    assert bot.pipeline.toxicity is not None
    old = bot.pipeline.toxicity.scorer
    old_rules = bot.pipeline.ruleset
    bot.rules.write_text(
        rules_text(toxicity="toxicity: {backend: detoxify, model: missing}", words="banana")
    )
    reply = await bot.run("reload")
    assert reply.ephemeral
    assert reply.text == (
        "The toxicity scorer detoxify (missing) could not be loaded, so I kept the current rules "
        "and scorer: detoxify model 'missing' not found\n"
        "Fix toxicity: in the rules file (or set backend: off) and /reload again."
    )
    assert bot.pipeline.ruleset is old_rules
    assert bot.pipeline.toxicity.scorer is old
    assert await deleted_after(bot, INSULT, "1")  # the old scorer still scores: not closed
    assert not await deleted_after(bot, "banana", "2")  # the new rules are not in use
    assert await deleted_after(bot, "shit", "3")


@pytest.mark.parametrize("start_rules", [rules_text(toxic_rule=False)])
async def test_turning_toxicity_on_with_a_scorer_that_cannot_load_is_refused(
    bot: Harness, loader: Loader
) -> None:
    bot.rules.write_text(rules_text(toxicity="toxicity: {backend: detoxify, model: missing}"))
    reply = await bot.run("reload")
    assert reply.text.startswith("The toxicity scorer detoxify (missing) could not be loaded")
    assert bot.pipeline.scorer is None and len(bot.pipeline.ruleset.rules) == 1


@pytest.mark.parametrize("start_rules", [rules_text(lang="vi")])
async def test_replies_in_vietnamese(bot: Harness) -> None:
    bot.rules.write_text(
        rules_text(lang="vi", toxicity="toxicity: {backend: detoxify, model: missing}")
    )
    reply = await bot.run("reload")
    assert reply.text.startswith(
        "Không tải được bộ chấm điểm độc hại detoxify (missing) nên bot vẫn giữ nội quy và bộ chấm "
        "điểm cũ: detoxify model 'missing' not found\n"
    )
    bot.rules.write_text(rules_text(lang="vi", toxicity="toxicity: {backend: detoxify}"))
    reply = await bot.run("reload")
    assert reply.text == (
        "Đã tải lại nội quy: 2 luật.\nĐã tải bộ chấm điểm độc hại: detoxify (original)."
    )


@pytest.mark.parametrize("detoxify_installed", [False])
@pytest.mark.parametrize("start_rules", [rules_text(toxicity="toxicity: {backend: detoxify}")])
async def test_a_scorer_that_failed_at_start_is_retried_by_a_reload(
    bot: Harness, loader: Loader
) -> None:
    assert bot.pipeline.toxicity is not None and bot.pipeline.toxicity.error is not None
    assert isinstance(bot.pipeline.toxicity.scorer, UnavailableScorer)
    # Still not installed: the new rules are used (nothing worse than before), and said so.
    bot.rules.write_text(rules_text(toxicity="toxicity: {backend: detoxify}", words="banana"))
    reply = await bot.run("reload")
    assert reply.text == (
        "Rules reloaded: 2 rules.\n"
        "The toxicity scorer detoxify (original) still could not be loaded (detoxify model "
        "'original' not found); toxicity rules follow toxicity.on_error (allow) until a "
        "/reload loads it."
    )
    assert loader.loaded == [("detoxify", "original")] * 2
    assert await deleted_after(bot, "banana", "1")
    # Installed now: the same settings load it.
    loader.detoxify_installed = True
    reply = await bot.run("reload")
    assert reply.text.endswith("Toxicity scorer loaded: detoxify (original).")
    assert await deleted_after(bot, "I hate you", "2")


async def test_the_old_scorer_answers_calls_it_already_had_before_it_is_closed(
    bot: Harness, loader: Loader
) -> None:
    bot.rules.write_text(rules_text(toxicity="toxicity: {backend: detoxify}"))
    await bot.run("reload")
    assert bot.pipeline.toxicity is not None
    old = bot.pipeline.toxicity.scorer
    assert isinstance(old, FakeDetoxify)
    old.gate = asyncio.Event()
    await bot.say("I hate you", mid="1")  # its toxicity pass now waits on the old scorer
    for _ in range(5):
        await asyncio.sleep(0)
    assert old.calls == 1
    bot.rules.write_text(rules_text(toxicity="toxicity: {backend: detoxify, model: unbiased}"))
    reload = asyncio.create_task(bot.run("reload"))
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert not reload.done() and not old.closed  # swapped, but waiting for the call in flight
    new = bot.pipeline.toxicity.scorer
    assert isinstance(new, FakeDetoxify) and new.key == ("detoxify", "unbiased")
    old.gate.set()
    reply = await reload
    assert reply.text.endswith("loaded: detoxify (unbiased).")
    assert old.closed
    await bot.pipeline.drain()
    # The message was judged by the old scorer (deleted as toxic), not let through as a failure.
    assert bot.platform.methods().count("delete_message") == 1
    assert not [e for e in bot.platform.logs if "unavailable" in e.title.lower()]
