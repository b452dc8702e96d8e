"""Telegram load benchmark: `modbot run` as a subprocess against the fake Bot API server.

Pushes messages at a fixed rate (default 200/s for 30 s, every 4th one a bad word) and measures,
on the fake server's clock, the time from the update being served by getUpdates to the
deleteMessage call for it arriving; samples the bot process's RSS once a second.

    .venv/bin/python bench/telegram.py [--rate 200] [--seconds 30] [--bad-every 4] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the library: drop bench/ from the path so ``telegram`` is PTB.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench._harness import percentile, start_bot, stop_bot  # noqa: E402
from tests.e2e.fake_telegram import FakeTelegram  # noqa: E402

GROUP = -1001000000001
LOG = -1001234567890  # channels.log.telegram of rules.example.yaml


async def bench(args: argparse.Namespace) -> dict[str, object]:
    fake = FakeTelegram()
    await fake.start()
    fake.chat(GROUP, "bench group")
    fake.chat(LOG, "bench log")
    tmp = tempfile.mkdtemp(prefix="modbot-bench-")
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "MODBOT_LOG_FORMAT": "json",
    }
    env.pop("DISCORD_TOKEN", None)
    log_path = Path(tmp) / "bot.log"
    with log_path.open("wb") as log_file:
        proc = await start_bot(
            args.rules, Path(tmp) / "bench.db", env, log_file, profile=args.profile
        )
        ps = psutil.Process(proc.pid)
        try:
            await fake.wait_for("getUpdates", within=30, received=True)
            users = [fake.user(10_000 + i, f"member{i}") for i in range(args.users)]
            # Warm-up: the admin list, first members, SQLite pages, the engine's first matches.
            for i in range(20):
                fake.push(fake.message(GROUP, users[i], f"warm up fuck {i}"))
            await fake.wait_for("deleteMessage", count=20, within=30)

            start_calls = len(fake.calls)
            bad: dict[int, int] = {}  # update_id -> message_id
            total = args.rate * args.seconds
            rss: list[float] = []
            t0 = time.monotonic()
            cpu_fake0, cpu_bot0 = time.process_time(), sum(ps.cpu_times()[:2])
            next_sample = t0
            for i in range(total):
                due = t0 + i / args.rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                user = users[i % len(users)]
                if i % args.bad_every == 0:
                    update = fake.message(GROUP, user, f"this is fucking bad {i}")
                    bad[fake.push(update)] = update.message.message_id  # type: ignore[union-attr]
                else:
                    fake.push(fake.message(GROUP, user, f"hello there, message number {i}"))
                if time.monotonic() >= next_sample:
                    rss.append(ps.memory_info().rss / 2**20)
                    next_sample += 1.0
            sent_for = time.monotonic() - t0
            cpu_fake = time.process_time() - cpu_fake0
            cpu_bot = sum(ps.cpu_times()[:2]) - cpu_bot0
            wanted = set(bad.values())
            try:
                await fake.wait_for(
                    "deleteMessage",
                    lambda c: int(c.params["message_id"]) in wanted,
                    count=len(wanted),
                    within=60,
                )
            except TimeoutError:
                pass
            rss.append(ps.memory_info().rss / 2**20)
            deleted_at = {
                int(c.params["message_id"]): c.at
                for c in fake.calls[start_calls:]
                if c.method == "deleteMessage" and c.status == 200
            }
            latencies = [
                (deleted_at[mid] - fake.served_at[uid]) * 1000
                for uid, mid in bad.items()
                if mid in deleted_at and uid in fake.served_at
            ]
            # p99 per 5-second window of the run, to tell a backlog from one stall
            windows: dict[int, list[float]] = collections.defaultdict(list)
            for uid, mid in bad.items():
                if mid in deleted_at and uid in fake.served_at:
                    windows[int((fake.served_at[uid] - t0) // 5) * 5].append(
                        (deleted_at[mid] - fake.served_at[uid]) * 1000
                    )
            served = [fake.served_at[u] for u in fake.served_at if u in bad]
            lag = max(served) - t0 - sent_for if served else 0.0
        finally:
            code, stop_seconds = await stop_bot(proc)
            await fake.stop()
    return {
        "rate": args.rate,
        "seconds": args.seconds,
        "messages": total,
        "bad": len(bad),
        "deleted": len(latencies),
        "send_seconds": round(sent_for, 2),
        "poll_lag_s": round(lag, 3),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "over_50ms": sum(1 for v in latencies if v > 50),
        "p99_by_5s": {w: round(percentile(v, 0.99)) for w, v in sorted(windows.items())},
        "bot_cpu_pct": round(100 * cpu_bot / sent_for),
        "fake_cpu_pct": round(100 * cpu_fake / sent_for),
        "load_avg": os.getloadavg()[0],
        "rss_mb_max": round(max(rss), 1),
        "rss_mb_end": round(rss[-1], 1),
        "api_calls": len(fake.calls) - start_calls,
        "calls_by_method": dict(
            collections.Counter(c.method for c in fake.calls[start_calls:]).most_common()
        ),
        "exit_code": code,
        "stop_seconds": round(stop_seconds, 2),
        "violations": fake.violations[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="messages per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--bad-every", type=int, default=4, help="every Nth message is a bad word")
    parser.add_argument("--users", type=int, default=1000, help="distinct members sending")
    parser.add_argument("--rules", default=str(ROOT / "rules.example.yaml"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--profile", metavar="PATH", help="run the bot under cProfile, stats to PATH"
    )
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")
    ok = (
        result["deleted"] == result["bad"]
        and (result["p99_ms"] or 1e9) <= 50
        and float(result["rss_mb_max"]) <= 150  # type: ignore[arg-type]
        and result["exit_code"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
