"""detoxify backend: an offline loader for detoxify checkpoints with transformers, no hub access."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.toxicity import BackendNotInstalled, ModelNotFound, Scores

INSTALL_HINT = (
    "the detoxify backend needs the `detoxify` extra: pip install 'modbot[detoxify]' "
    "(torch==2.13.0 CPU build and transformers)"
)

# Release checkpoints of unitaryai/detoxify (GitHub releases v0.1/v0.3/v0.4-alpha), by model name.
RELEASES = {
    "original": ("toxic_original-c1212f89.ckpt", "bert-base-uncased"),
    "unbiased": ("toxic_debiased-c7548aa0.ckpt", "roberta-base"),
    "multilingual": ("multilingual_debiased-0b549669.ckpt", "xlm-roberta-base"),
}

# detoxify renames the Jigsaw column names the same way, so rules can say `toxicity` everywhere.
_RENAME = {
    "toxic": "toxicity",
    "identity_hate": "identity_attack",
    "severe_toxic": "severe_toxicity",
}
# The unbiased/multilingual heads also predict identity subgroups; those are not toxicity labels.
_LABELS = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
    "sexual_explicit",
)


def models_dir() -> Path:
    """Where named checkpoints are looked for: ``$MODBOT_DETOXIFY_DIR`` or ~/.cache/modbot/detoxify."""
    env = os.environ.get("MODBOT_DETOXIFY_DIR")
    return Path(env) if env else Path.home() / ".cache" / "modbot" / "detoxify"


def _import_backend() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise BackendNotInstalled(f"{INSTALL_HINT} ({exc})") from exc
    return torch, transformers


def _checkpoint_candidates(model: str, torch: Any) -> list[Path]:
    if model not in RELEASES:
        return [Path(model).expanduser()]
    filename, _ = RELEASES[model]
    base = models_dir()
    hub = Path(torch.hub.get_dir()) / "checkpoints"  # where detoxify itself downloads them
    return [base / f"{model}.ckpt", base / filename, hub / filename]


def _base_candidates(model_type: str, ckpt: Path, base_dir: str | Path | None) -> list[Path]:
    name = Path(model_type).name
    out = [Path(base_dir)] if base_dir else []
    out += [ckpt.parent / name, models_dir() / name, Path(model_type).expanduser()]
    return out


class DetoxifyModel:
    """A detoxify checkpoint (``{"config": ..., "state_dict": ...}``) run with transformers."""

    name = "detoxify"

    def __init__(self, model: Any, tokenizer: Any, class_names: Sequence[str], torch: Any) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._torch = torch
        self.class_names = list(class_names)
        keep = [c for c in self.class_names if c in _LABELS]
        self.labels: tuple[str, ...] = tuple(keep or self.class_names)
        self._columns = [self.class_names.index(c) for c in self.labels]
        self.max_length = 256

    @classmethod
    def load(cls, model: str = "original", *, base_dir: str | Path | None = None) -> DetoxifyModel:
        """Load ``original``/``unbiased``/``multilingual`` or a checkpoint path, fully offline.

        The base model's tokenizer and config come from local files: ``base_dir``, else a folder
        named after the base model (``bert-base-uncased``…) beside the checkpoint or in
        ``models_dir()``, else the Hugging Face cache (never the network).
        """
        torch, transformers = _import_backend()
        candidates = _checkpoint_candidates(model, torch)
        ckpt = next((p for p in candidates if p.is_file()), None)
        if ckpt is None:
            hint = ""
            if model in RELEASES:
                hint = (
                    f"; download {RELEASES[model][0]} from the unitaryai/detoxify GitHub releases "
                    f"into {models_dir()} (or set MODBOT_DETOXIFY_DIR), plus the "
                    f"{RELEASES[model][1]} tokenizer files in a folder of that name beside it"
                )
            tried = ", ".join(str(p) for p in candidates)
            raise ModelNotFound(f"detoxify model {model!r} not found (looked at {tried}){hint}")
        try:
            # weights_only: a checkpoint is data; refusing pickled code keeps a bad file harmless.
            loaded = torch.load(ckpt, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelNotFound(f"{ckpt}: not a readable detoxify checkpoint ({exc})") from exc
        if not isinstance(loaded, dict) or "config" not in loaded or "state_dict" not in loaded:
            raise ModelNotFound(f"{ckpt}: expected a dict with 'config' and 'state_dict'")
        args = loaded["config"]["arch"]["args"]
        classes = [_RENAME.get(c, c) for c in loaded["config"]["dataset"]["args"]["classes"]]
        model_type = str(args["model_type"])
        bases = _base_candidates(model_type, ckpt, base_dir)
        base = next((p for p in bases if (p / "config.json").is_file()), None)
        source: str | Path = base if base is not None else model_type
        try:
            config = transformers.AutoConfig.from_pretrained(
                source, num_labels=int(args["num_classes"]), local_files_only=True
            )
            tok_cls = getattr(transformers, str(args.get("tokenizer_name", "AutoTokenizer")))
            tokenizer = tok_cls.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError) as exc:
            tried = ", ".join(str(p) for p in bases)
            raise ModelNotFound(
                f"detoxify model {model!r}: tokenizer/config of base model {model_type!r} not "
                f"found offline (looked at {tried} and the Hugging Face cache); put its "
                f"config.json and tokenizer files in {ckpt.parent / Path(model_type).name}"
            ) from exc
        net = getattr(transformers, str(args["model_name"]))(config)
        result = net.load_state_dict(loaded["state_dict"], strict=False)
        # Old checkpoints carry buffers newer transformers dropped (position_ids); weights must match.
        missing = [k for k in result.missing_keys if not k.endswith("position_ids")]
        if missing:
            raise ModelNotFound(f"{ckpt}: checkpoint lacks weights {missing[:5]}")
        net.eval()
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
        return cls(net, tokenizer, classes[: int(args["num_classes"])], torch)

    def cache_key(self, text: str) -> str:
        # Cased models (roberta, xlm-r) see case, so the key keeps it; whitespace is collapsed.
        return " ".join(unicodedata.normalize("NFC", text).split())

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        if not texts:
            return []
        torch = self._torch
        batch = self._tokenizer(
            [self.cache_key(t) for t in texts],
            return_tensors="pt",
            truncation=True,
            max_length=self.max_length,
            padding=True,
        )
        with torch.no_grad():
            logits = self._model(**batch).logits
            probs = torch.sigmoid(logits[:, self._columns]).tolist()
        return [dict(zip(self.labels, (round(p, 6) for p in row), strict=True)) for row in probs]
