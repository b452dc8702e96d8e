from pathlib import Path

from bot.rules.reference import reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rules_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/rules.md is stale: run .venv/bin/python scripts/gen_rules_doc.py"
    )
