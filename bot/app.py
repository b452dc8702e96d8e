"""Builds settings → database → engine → pipeline → platforms in one asyncio loop; clean shutdown.

Platforms plug in through ``ADAPTERS``: a module per platform exposing ``create(settings)``, which
returns an object that implements ``bot.platforms.base.Platform`` and also::

    async def start(self, pipeline: Pipeline) -> None   # connect, then feed every neutral event to
                                                        # ``await pipeline.handle(event)``; return
                                                        # once running (do not block forever)
    async def stop(self) -> None                        # disconnect; must finish within a few seconds
    bot_id: str | None                                  # the bot's own user id, once started

Platforms run only when their token is set. With none set, ``run`` is the console playground.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO, runtime_checkable

import structlog

from bot import heap
from bot.config import Settings, SettingsError
from bot.events import Author
from bot.logging import configure
from bot.moderation.executor import Executor, describe
from bot.moderation.pipeline import Handled, Pipeline
from bot.moderation.privacy import erase_old_text
from bot.moderation.scheduler import Scheduler
from bot.moderation.scoring import load_for, open_scorer
from bot.platforms.base import Platform
from bot.platforms.console import ConsolePlatform, console_message
from bot.storage import Database, StorageError

log = structlog.get_logger("bot.app")

SHUTDOWN_TIMEOUT = 8.0  # each step of the shutdown; the whole stays under the 10 s contract

# Test hook for the crash-safety test: SIGKILL this process right after the first case commits.
CRASH_ENV = "MODBOT_TEST_CRASH_AFTER_COMMIT"


@runtime_checkable
class Adapter(Platform, Protocol):
    """A platform adapter as the app drives it (see the module docstring)."""

    bot_id: str | None

    async def start(self, pipeline: Pipeline) -> None: ...

    async def stop(self) -> None: ...


# platform name → (settings attribute holding its token, module with ``create(settings)``)
ADAPTERS: dict[str, tuple[str, str]] = {
    "telegram": ("telegram_token", "bot.platforms.telegram"),
    "discord": ("discord_token", "bot.platforms.discord"),
}


def build_adapters(settings: Settings) -> list[Adapter]:
    """An adapter for every platform whose token is set."""
    out: list[Adapter] = []
    for name, (token_attr, module_name) in ADAPTERS.items():
        if not getattr(settings, token_attr):
            continue
        module = importlib.import_module(module_name)
        create: Callable[[Settings], Adapter] = module.create
        out.append(create(settings))
        log.info("platform_enabled", platform=name)
    return out


class _Stop:
    """Set by SIGTERM/SIGINT (or end of input in the playground)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signal: int | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: int) -> None:
        self.signal = sig
        self.event.set()


async def run(
    settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run the bot until SIGTERM/SIGINT (or end of input in the playground); the exit status."""
    from bot.rules import Engine, RulesError, load_rules

    configure(settings.log_format, secrets=settings.secrets)
    err = sys.stderr
    try:
        ruleset = load_rules(settings.rules)
    except RulesError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return 1
    except OSError as exc:
        print(f"modbot: {settings.rules}: cannot read the rules file: {exc.strerror}", file=err)
        return 1
    engine = Engine(ruleset)
    # A scorer that cannot load becomes an UnavailableScorer: the bot runs, toxicity.on_error decides.
    toxicity = await asyncio.to_thread(load_for, ruleset, engine.needs_scores)
    heap.settle()
    try:
        db = await Database.open(settings.db)
    except StorageError as exc:
        print(f"modbot: {exc}", file=err)
        return 1
    stop = _Stop()
    stop.install()
    scheduler: Scheduler | None = None
    pipeline: Pipeline | None = None
    adapters: list[Adapter] = []
    try:
        executor = Executor(db)
        if os.environ.get(CRASH_ENV):
            executor.after_commit = _crash
        pipeline = Pipeline(
            db,
            executor,
            ruleset,
            engine,
            toxicity=toxicity,
            scorer_loader=open_scorer,  # /reload loads another when the toxicity settings change
            wait_for_scores=settings.playground,
        )
        scheduler = Scheduler(
            db,
            executor,
            housekeeping=lambda now: erase_old_text(
                db, now, pipeline.ruleset.privacy.keep_message_text
            ),
        )
        executor.on_schedule = scheduler.wake
        adapters = build_adapters(settings)
        if not adapters:
            return await _playground(pipeline, executor, scheduler, stop, stdin, stdout)
        for adapter in adapters:
            executor.add_platform(adapter)
        # What the last run left pending, read before anything new is recorded, and carried out
        # once the platforms are connected (a log entry needs the adapter's log channel, set at
        # start; new cases' own actions, pending while in flight, are not in the list).
        left = await executor.left_pending()
        for adapter in adapters:
            await adapter.start(pipeline)
            if adapter.bot_id:
                executor.bot_ids[str(adapter.name)] = adapter.bot_id
        # Due reversals too need a connected platform (an unmute before the adapter's client
        # exists would fail and wait for its retry).
        scheduler.start()
        await executor.replay_pending(left)
        log.info("bot_running", platforms=[str(a.name) for a in adapters])
        await stop.event.wait()
        log.info("bot_stopping", signal=stop.signal)
        return 0
    except StorageError as exc:
        print(f"modbot: {exc}", file=err)
        return 1
    finally:
        for adapter in adapters:
            try:
                await asyncio.wait_for(adapter.stop(), SHUTDOWN_TIMEOUT / 2)
            except Exception:  # a platform that fails to stop must not keep the database open
                log.exception("platform_stop_failed", platform=str(adapter.name))
        if pipeline is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await pipeline.drain()
        if scheduler is not None:
            await scheduler.stop()
        if pipeline is not None:
            await pipeline.close_scorer()  # the one in use, which /reload may have replaced
        elif toxicity is not None:
            await toxicity.scorer.aclose()
        await db.close()


async def _crash(case_id: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


# -- the console playground ------------------------------------------------------------------

PLAYGROUND_MEMBER = Author(id="console-member", name="you", username="you")
# How the playground's member is addressed in the community's language.
PLAYGROUND_NAMES = {"en": "you", "vi": "bạn"}


async def _playground(
    pipeline: Pipeline,
    executor: Executor,
    scheduler: Scheduler,
    stop: _Stop,
    stdin: TextIO | None,
    stdout: TextIO | None,
) -> int:
    """Each stdin line is a message from one member; each decision is printed; ends at EOF."""
    out = stdout or sys.stdout
    executor.add_platform(ConsolePlatform(out))
    await executor.replay_pending()
    scheduler.start()
    lines = _read_lines(stdin or sys.stdin)
    name = pipeline.ruleset.community.name or "console"
    print(f"modbot playground: {name}. Type messages; end with Ctrl-D.", file=out, flush=True)
    n = 0
    language = pipeline.ruleset.community.language
    member = replace(PLAYGROUND_MEMBER, name=PLAYGROUND_NAMES.get(language, "you"))
    while True:
        line_task = asyncio.ensure_future(lines.get())
        stop_task = asyncio.ensure_future(stop.event.wait())
        done, _ = await asyncio.wait({line_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        for task in (line_task, stop_task):
            if task not in done:
                task.cancel()
        if stop_task in done:
            return 0
        line = line_task.result()
        if line is None:
            return 0
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        n += 1
        message = console_message(text, n, member, datetime.now(UTC), name)
        print(f"[{n}] {text}", file=out, flush=True)
        handled = await pipeline.handle(message)
        if isinstance(handled, Handled):
            print(summary(handled), file=out, flush=True)


def summary(handled: Handled) -> str:
    """One decision as the playground prints it."""
    d, o = handled.decision, handled.outcome
    if not d.matches:
        return "  = no rule matched"
    rules = ", ".join(
        f"{m.rule_id}{' (shadow)' if m.mode == 'shadow' else ''} [{m.condition}: {m.matched!r}]"
        for m in d.matches
    )
    parts = [f"  = rules: {rules}"]
    acts = d.actions.to_yaml()
    if acts:
        parts.append(f"actions: {_yaml_list(acts)}")
    if o is not None:
        parts.append(f"strikes now: {o.strikes}")
        if o.escalation.step is not None:
            parts.append(f"ladder step {o.escalation.step}: {describe(o.escalation.step_sanction)}")
        if o.sanction is not None:
            parts.append(f"sanction: {describe(o.sanction)}")
        if o.refused is not None:
            parts.append(f"refused: {o.refused.reason}")
        parts.append(f"case #{o.case_id}")
    return " | ".join(parts)


def _yaml_list(items: list[Any]) -> str:
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            out.extend(f"{k} {v}" for k, v in item.items())
        else:
            out.append(str(item))
    return ", ".join(out)


def _read_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines of ``stream`` from a daemon thread (it never keeps the process alive at exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        try:
            for line in stream:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may be closed already
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="modbot-stdin", daemon=True).start()
    return queue


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.app [--rules R] [--db D]``: the same as ``modbot run``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bot.app")
    parser.add_argument("--rules")
    parser.add_argument("--db")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(rules=args.rules, db=args.db)
    except SettingsError as exc:
        print(f"modbot: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run(settings))


if __name__ == "__main__":
    raise SystemExit(main())
