"""Fixtures for rules tests: compile a rules snippet and decide messages with plain values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.events import Message
from bot.rules import Decision, Engine, EvalContext, History
from bot.rules.loader import load_rules_text
from tests.factories import message


def ruleset_text(match: Mapping[str, Any], **rule: Any) -> str:
    """A minimal rules file with one rule ``r`` whose match is ``match``."""
    body = {"id": "r", "match": dict(match), "actions": ["delete"], **rule}
    return yaml.safe_dump({"version": 1, "rules": [body]}, allow_unicode=True)


class Judge:
    """Decides messages against one compiled rule set, keeping history like the pipeline does."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.history = History()

    def decide(
        self,
        msg: Message | str,
        scores: Mapping[str, float] | None = None,
        now: datetime | None = None,
    ) -> Decision:
        m = message(msg) if isinstance(msg, str) else msg
        ctx = EvalContext(now=now or m.timestamp, history=self.history, scores=scores)
        return self.engine.decide(m, ctx)

    def fires(self, msg: Message | str, **kwargs: Any) -> bool:
        return any(x.rule_id == "r" for x in self.decide(msg, **kwargs).matches)


@pytest.fixture
def judge(tmp_path: Path) -> Callable[..., Judge]:
    """``judge({"words": ["x"]})`` → a Judge for a one-rule file."""

    def make(match: Mapping[str, Any], **rule: Any) -> Judge:
        ruleset = load_rules_text(ruleset_text(match, **rule), "rules.yaml", tmp_path)
        return Judge(Engine(ruleset, base_dir=tmp_path))

    return make
