"""Instructions per decided message, counted by valgrind's callgrind: repeatable on a busy machine.

Wall-clock rates on a shared 2-core machine swing by 10-25% between identical runs; instruction
counts do not (same count twice, whatever else runs). This decides the ``bench/engine.py``
workload (100 rules, a 10,000-word list, vi/en chat) and counts only the timed part: the engine
is built and warmed on 2,000 messages outside the count, then ``--messages`` new messages are
decided with counting on. Use it to compare two commits (run it in each); ``bench/engine.py``
remains the throughput measure.

    .venv/bin/python bench/instructions.py [--messages 3000]

Needs ``valgrind`` (Debian package); takes about 20 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(messages: int, ready: Path, go: Path) -> None:
    import engine as workload  # bench/engine.py

    from bot import heap
    from bot.rules import EvalContext, History
    from bot.rules.normalize import recent_texts

    all_messages = workload.to_messages(workload.chat_messages(messages + 2000))
    eng, _ = workload.engine_for(10_000)
    history = History()
    recent_texts()
    for m in all_messages[:2000]:
        eng.decide(m, EvalContext(now=m.timestamp, history=history))
    # As the bot does once its rules are loaded (a full collection of the freshly built engine
    # would land in the count otherwise).
    heap.settle()
    ready.touch()
    while not go.exists():
        time.sleep(0.05)
    for m in all_messages[2000:]:
        eng.decide(m, EvalContext(now=m.timestamp, history=history))
    # Leave without the interpreter's clean-up (freeing the engine's tables), which would be
    # counted too: about 14,000 instructions a message of the default run, none of them deciding.
    sys.stdout.flush()
    os._exit(0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--child", nargs=2, metavar=("READY", "GO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.messages, Path(args.child[0]), Path(args.child[1]))
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        ready, go, out = Path(tmp, "ready"), Path(tmp, "go"), Path(tmp, "callgrind.out")
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--messages",
            str(args.messages),
            "--child",
            str(ready),
            str(go),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
        while not ready.exists():
            if proc.poll() is not None:
                print("the measured process failed", file=sys.stderr)
                return 1
            time.sleep(0.2)
        # This process only: other callgrind runs on the machine are left alone.
        subprocess.run(
            ["callgrind_control", "-i", "on", str(proc.pid)], check=True, capture_output=True
        )
        go.touch()
        proc.wait()
        total = 0
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
                break
    print(f"engine decide: {total:,} instructions for {args.messages} messages")
    print(f"  {total // args.messages:,} instructions a message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
