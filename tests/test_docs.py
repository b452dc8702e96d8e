"""The user-facing docs name every command, flag, setting and rules-file key the code has."""

import argparse
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.cli import _parser
from bot.commands import COMMANDS
from bot.rules.schema import RuleSet

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS_MD = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
RULES_FILE_MD = (ROOT / "docs" / "rules-file.md").read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_readme_shows_every_cli_command_and_flag(name: str) -> None:
    row = next((line for line in README.splitlines() if f"| `modbot {name}" in line), None)
    assert row is not None, f"README's command table has no row for modbot {name}"
    for action in subcommands()[name]._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert flag in row, f"README's row for modbot {name} does not mention {flag}"


def test_readme_lists_every_environment_variable() -> None:
    sources = [ROOT / "bot" / "config.py", ROOT / "bot" / "toxicity" / "detoxify.py"]
    names = {
        name
        for path in sources
        for name in re.findall(r'"((?:MODBOT|TELEGRAM|DISCORD)_[A-Z_]+)"', path.read_text())
    }
    assert names, "no environment variable found in the sources"
    assert sorted(n for n in names if f"`{n}`" not in README) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_chat_command_is_documented(name: str) -> None:
    assert f"| `{name}` |" in COMMANDS_MD, f"docs/commands.md has no row for {name}"
    assert f"`{name}`" in README, f"README's chat commands do not name {name}"


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and name != "tests":
            out += keys(annotation, key + ".")
        else:
            out.append(key)
    return out


def test_rules_file_doc_names_every_key() -> None:
    rule_model = RuleSet.model_fields["rules"].annotation.__args__[0]  # type: ignore[union-attr]
    documented = re.findall(r"^\| `([a-z_.]+)`", RULES_FILE_MD, flags=re.MULTILINE)
    missing = [
        key
        for key in keys(RuleSet) + keys(rule_model)
        if not any(d == key or d.startswith(key + ".") for d in documented)
    ]
    assert missing == [], "docs/rules-file.md does not describe these keys"
