"""Shared by the platform benchmarks: start and stop ``modbot run`` as a subprocess, percentiles."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def start_bot(
    rules: str,
    db: Path,
    env: dict[str, str],
    log_file: BinaryIO,
    profile: str | None = None,
) -> asyncio.subprocess.Process:
    """``python -m bot run --rules R --db D`` with ``env``, output to ``log_file`` (optionally profiled)."""
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *profiling,
        "-m",
        "bot",
        "run",
        "--rules",
        rules,
        "--db",
        str(db),
        env=env,
        cwd=ROOT,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )


async def stop_bot(proc: asyncio.subprocess.Process) -> tuple[int, float]:
    """SIGTERM, as a service manager stops it; killed after 15 s. Its exit code and the seconds."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(proc.wait(), 15)
    except TimeoutError:
        proc.kill()
        code = await proc.wait()
    return code, time.monotonic() - started
