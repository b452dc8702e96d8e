"""Import boundaries from docs/architecture: platforms, storage and the pure engine stay apart."""

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def files(under: str = "") -> list[Path]:
    return sorted((BOT / under).rglob("*.py"))


@pytest.mark.parametrize("library", ["discord", "telegram"])
def test_platform_libraries_only_in_adapters(library: str) -> None:
    offenders = [p for p in files() if library in imports(p) and "platforms" not in p.parts]
    assert offenders == []


def test_sql_only_in_storage() -> None:
    offenders = [
        p for p in files() if {"aiosqlite", "sqlite3"} & imports(p) and "storage" not in p.parts
    ]
    assert offenders == []


def test_engine_is_pure() -> None:
    forbidden = {
        "asyncio",
        "aiosqlite",
        "sqlite3",
        "discord",
        "telegram",
        "httpx",
        "aiohttp",
        "socket",
    }
    offenders = {str(p.relative_to(BOT)): imports(p) & forbidden for p in files("rules")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_module_says_what_it_does() -> None:
    missing = [
        str(p)
        for p in files()
        if p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert missing == []
