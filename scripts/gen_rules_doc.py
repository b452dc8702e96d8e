"""Write docs/rules.md from the conditions table (a test fails when it is out of date)."""

from pathlib import Path

from bot.rules.reference import reference_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
    target.write_text(reference_markdown(), encoding="utf-8")
    print(f"wrote {target}")
