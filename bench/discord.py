"""Discord load benchmark: `modbot run` as a subprocess against the fake REST API + gateway.

Dispatches MESSAGE_CREATE at a fixed rate (default 200/s for 30 s, every 4th one a bad word) and
measures, on the fake server's clock, the time from the gateway frame being sent to the
``DELETE /channels/{c}/messages/{m}`` for it arriving; samples the bot process's RSS once a second.

    .venv/bin/python bench/discord.py [--rate 200] [--seconds 30] [--bad-every 4] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the library: drop bench/ from the path so ``discord`` is discord.py.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench._harness import percentile, start_bot, stop_bot  # noqa: E402
from tests.e2e.fake_discord import FakeDiscord  # noqa: E402

EXAMPLE_LOG = 123456789012345678  # channels.log.discord of rules.example.yaml


async def bench(args: argparse.Namespace) -> dict[str, object]:
    fake = FakeDiscord(bucket_limit=args.bucket_limit)
    fake.add_channel(EXAMPLE_LOG, "mod-log")
    members = [fake.member(f"member{i}") for i in range(args.users)]
    await fake.start()
    tmp = tempfile.mkdtemp(prefix="modbot-bench-")
    env = {
        **os.environ,
        **fake.env(),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "MODBOT_LOG_FORMAT": "json",
    }
    env.pop("TELEGRAM_TOKEN", None)
    log_path = Path(tmp) / "bot.log"
    with log_path.open("wb") as log_file:
        proc = await start_bot(args.rules, Path(tmp) / "bench.db", env, log_file)
        ps = psutil.Process(proc.pid)
        try:
            await fake.wait_connected(within=30)
            # Warm-up: first members, SQLite pages, the engine's first matches, HTTP connections.
            warm = set()
            for i in range(20):
                warm.add(await fake.send_message(members[-1 - i], f"warm up fuck {i}"))
            await fake.wait_deleted(warm, within=30)
            if args.warm_all:
                # Every member seen once: leaves out the first-sight database writes per member.
                for i, member in enumerate(members):
                    await fake.send_message(member, f"hello, I am new {i}")
                    if i % 100 == 99:
                        await asyncio.sleep(0.5)
                await asyncio.sleep(2)

            start_calls = len(fake.calls)
            bad: set[str] = set()
            total = args.rate * args.seconds
            rss: list[float] = []
            cpu0 = ps.cpu_times()
            t0 = time.monotonic()
            next_sample = t0
            for i in range(total):
                due = t0 + i / args.rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                member = members[i % (len(members) - 20)]
                if i % args.bad_every == 0:
                    bad.add(str(await fake.send_message(member, f"this is fucking bad {i}")))
                else:
                    await fake.send_message(member, f"hello there, message number {i}")
                if time.monotonic() >= next_sample:
                    rss.append(ps.memory_info().rss / 2**20)
                    next_sample += 1.0
            sent_for = time.monotonic() - t0
            try:
                await fake.wait_deleted({int(m) for m in bad}, within=60)
            except TimeoutError:
                pass
            rss.append(ps.memory_info().rss / 2**20)
            cpu1 = ps.cpu_times()
            busy = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
            wall = time.monotonic() - t0
            deleted_at = {str(m): c.at for m, c in fake.deletions().items()}
            latencies = [
                (deleted_at[mid] - fake.dispatched_at[mid]) * 1000
                for mid in bad
                if mid in deleted_at
            ]
        finally:
            code, stop_seconds = await stop_bot(proc)
            await fake.stop()
    kinds: dict[str, int] = {}
    for c in fake.calls[start_calls:]:
        key = f"{c.method} {c.path.split('/')[1]}"
        if c.path.endswith("bulk-delete"):
            key = "POST bulk-delete"
        kinds[key] = kinds.get(key, 0) + 1
    return {
        "rate": args.rate,
        "seconds": args.seconds,
        "messages": total,
        "bad": len(bad),
        "deleted": len(latencies),
        "send_seconds": round(sent_for, 2),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "bot_cpu_pct": round(100 * busy / wall, 1),
        "bot_cpu_ms_per_msg": round(1000 * busy / total, 3),
        "rss_mb_max": round(max(rss), 1),
        "rss_mb_end": round(rss[-1], 1),
        "api_calls": kinds,
        "exit_code": code,
        "stop_seconds": round(stop_seconds, 2),
        "rate_limited": fake.rate_limited,
        "violations": fake.violations[:5],
        "bot_log": str(log_path),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="messages per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--bad-every", type=int, default=4, help="every Nth message is a bad word")
    parser.add_argument("--users", type=int, default=1000, help="distinct members sending")
    parser.add_argument(
        "--bucket-limit", type=int, default=50, help="fake's requests per route bucket per second"
    )
    parser.add_argument(
        "--warm-all", action="store_true", help="every member speaks once before measuring"
    )
    parser.add_argument("--rules", default=str(ROOT / "rules.example.yaml"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")
    ok = (
        result["deleted"] == result["bad"]
        and (result["p99_ms"] or 1e9) <= 50  # type: ignore[operator]
        and float(result["rss_mb_max"]) <= 150  # type: ignore[arg-type]
        and result["exit_code"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
