"""Every condition module is in the table, documented, and has a test."""

import pkgutil
from pathlib import Path

import bot.rules.conditions as conditions
from bot.rules.conditions import CONDITIONS

SHARED = {"base", "params", "counts", "casing", "_template"}


def test_every_module_is_in_the_table() -> None:
    modules = {m.name for m in pkgutil.iter_modules(conditions.__path__)} - SHARED
    assert modules == set(CONDITIONS)


def test_every_condition_documents_itself() -> None:
    for key in CONDITIONS:
        module = __import__(f"bot.rules.conditions.{key}", fromlist=["CONDITION"])
        doc = module.__doc__ or ""
        for section in ("What it matches:", "Parameters:", "Example:"):
            assert section in doc, f"{key} lacks {section}"


def test_every_condition_is_tested() -> None:
    here = Path(__file__).parent
    text = "\n".join(p.read_text(encoding="utf-8") for p in here.glob("test_*.py"))
    for key in CONDITIONS:
        assert f'"{key}"' in text, f"no test mentions {key}"
