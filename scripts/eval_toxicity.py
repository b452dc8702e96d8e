"""Evaluate the shipped built-in model on the held-out split and the harmless-chat set.

Usage: .venv/bin/python scripts/eval_toxicity.py [--model PATH]
Needs no scikit-learn; uses the same split as scripts/train_toxicity.py (which never trains on it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from train_toxicity import evaluate, harmless_lines, load_splits

from bot.toxicity.builtin import BuiltinModel


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=None, help="artifact (default: the package's)")
    ap.add_argument(
        "--show", type=int, default=5, help="print the N highest-scoring harmless lines"
    )
    args = ap.parse_args()
    model = BuiltinModel.load(args.model)
    _, held = load_splits()
    res = evaluate(model.score_texts, held)
    counts = {
        "heldout_vi": sum(r.lang == "vi" for r in held),
        "heldout_en": sum(r.lang == "en" for r in held),
        "harmless": len(harmless_lines()),
    }
    print(json.dumps({**counts, **{k: round(v, 4) for k, v in res.items()}}, indent=2))
    lines = harmless_lines()
    top = sorted(zip(model.score_texts(lines), lines, strict=True), reverse=True)[: args.show]
    for score, line in top:
        print(f"{score:.3f}  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
