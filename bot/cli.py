"""The ``modbot`` command line: run, check, explain, score, replay, schema. Parsing and printing only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from bot import __version__


def default_rules_path(flag: str | None) -> str:
    """The rules file a command reads (see ``bot.config.resolve_rules_path``)."""
    from bot.config import resolve_rules_path

    return resolve_rules_path(flag)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modbot", description="Moderation bot for Discord and Telegram."
    )
    parser.add_argument("--version", action="version", version=f"modbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="connect the platforms whose tokens are set (else a console playground)"
    )
    run.add_argument(
        "--rules", help="rules file (default: $MODBOT_RULES, rules.yaml, rules.example.yaml)"
    )
    run.add_argument("--db", help="SQLite database (default: $MODBOT_DB or modbot.db)")

    check = sub.add_parser("check", help="validate a rules file and run its inline tests")
    check.add_argument("rules", nargs="?", help="rules file")

    explain = sub.add_parser("explain", help="show how the rules see a message")
    explain.add_argument("--rules", help="rules file")
    explain.add_argument("--json", action="store_true", help="one JSON object per message")
    explain.add_argument("text", help="the message, or - to read one message a line from stdin")

    score = sub.add_parser("score", help="toxicity scores of stdin lines, one JSON object a line")
    score.add_argument("--backend", default="builtin", help="builtin (default) or detoxify")
    score.add_argument("--model", default=None, help="detoxify model name or checkpoint path")

    replay = sub.add_parser("replay", help="run the rules over exported chat history")
    replay.add_argument("exports", nargs="+", metavar="EXPORT")
    replay.add_argument("--rules", help="rules file")
    replay.add_argument("--json", action="store_true", help="one JSON object")
    replay.add_argument("--samples", type=int, default=3, help="samples per rule (default 3)")
    replay.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes (default: one per core, large exports)",
    )

    sub.add_parser("schema", help="print the JSON Schema of the rules file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            from bot.rules.selftest import run_check

            return run_check(default_rules_path(args.rules), sys.stdout)
        if args.command == "explain":
            return _explain(args, sys.stdin, sys.stdout)
        if args.command == "score":
            from bot.toxicity.cli import run_score

            return run_score(args.backend, sys.stdin, sys.stdout, model=args.model)
        if args.command == "replay":
            from bot.replay.report import run_replay

            return run_replay(
                list(args.exports),
                default_rules_path(args.rules),
                as_json=args.json,
                samples=args.samples,
                out=sys.stdout,
                err=sys.stderr,
                jobs=args.jobs,
            )
        if args.command == "schema":
            from bot.rules.schema import json_schema

            json.dump(json_schema(), sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 2


def _load_or_report(path: str, err: TextIO):  # type: ignore[no-untyped-def]
    from bot.rules import RulesError, load_rules

    try:
        return load_rules(path)
    except RulesError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return None


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import run
    from bot.config import Settings, SettingsError

    try:
        settings = Settings.from_env(rules=default_rules_path(args.rules), db=args.db)
    except SettingsError as exc:
        print(f"modbot: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run(settings))


def _explain(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    from bot.events import Author
    from bot.platforms.console import console_message
    from bot.rules import Engine, EvalContext
    from bot.rules.explain import decision_json, decision_text

    ruleset = _load_or_report(default_rules_path(args.rules), sys.stderr)
    if ruleset is None:
        return 1
    engine = Engine(ruleset)
    scorer = _scorer_for(ruleset) if engine.needs_scores else None
    texts = (line.rstrip("\n") for line in stdin) if args.text == "-" else iter([args.text])
    author = Author(id="member", name="member")
    for number, text in enumerate(texts, 1):
        now = datetime.now(UTC)
        message = console_message(text, number, author, now)
        scores = scorer(text) if scorer is not None else None
        decision = engine.decide(message, EvalContext(now=now, scores=scores))
        if args.json:
            obj = decision_json(decision)
            if scores is not None:
                obj["scores"] = {k: round(v, 4) for k, v in scores.items()}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            out.write(decision_text(decision) + "\n")
            if scores is not None:
                shown = ", ".join(f"{k} {v:.2f}" for k, v in scores.items())
                out.write(f"scores: {shown}\n")
            if args.text == "-":
                out.write("\n")
        out.flush()
    return 0


def _scorer_for(ruleset):  # type: ignore[no-untyped-def]
    """A synchronous scoring function for the CLI, or None when toxicity is off or unavailable."""
    settings = ruleset.toxicity
    if settings.backend in ("off", False):
        return None
    from bot.toxicity import ScorerUnavailable, UnknownBackend, load_model

    try:
        model = load_model(
            settings.backend, settings.model if settings.backend == "detoxify" else None
        )
    except (ScorerUnavailable, UnknownBackend) as exc:
        print(f"toxicity scorer unavailable: {exc}", file=sys.stderr)
        return None

    def score(text: str) -> dict[str, float]:
        return dict(model.predict([text])[0])

    return score
