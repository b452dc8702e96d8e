"""detoxify backend: offline loading of a tiny random checkpoint the test builds; clear errors."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers/huggingface_hub are imported
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import sys
from pathlib import Path

import pytest

from bot.toxicity import BackendNotInstalled, ModelNotFound, load_model, load_scorer
from bot.toxicity.detoxify import DetoxifyModel

CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
WORDS = "hello world you are an idiot good morning friends the a is this bad nice day".split()


def build_tiny_checkpoint(root: Path, num_classes: int = 6) -> Path:
    """A detoxify-format checkpoint of a random 1-layer BERT, with its base files beside it."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    base = root / "tiny-bert"
    base.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (base / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=num_classes,
    )
    config.save_pretrained(base)
    model = transformers.BertForSequenceClassification(config)
    ckpt = root / "tiny.ckpt"
    torch.save(
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": "tiny-bert",
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": num_classes,
                    }
                },
                "dataset": {"args": {"classes": CLASSES[:num_classes]}},
            },
            "state_dict": model.state_dict(),
        },
        ckpt,
    )
    return ckpt


def test_offline_env_is_set() -> None:
    constants = pytest.importorskip("huggingface_hub.constants")
    assert constants.HF_HUB_OFFLINE


def test_loads_tiny_checkpoint_offline_and_scores(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path)
    model = DetoxifyModel.load(str(ckpt))
    assert model.labels == (
        "toxicity",
        "severe_toxicity",
        "obscene",
        "threat",
        "insult",
        "identity_attack",
    )
    out = model.predict(["hello world", "you are an idiot", "unknown words entirely"])
    assert len(out) == 3
    assert all(set(o) == set(model.labels) for o in out)
    assert all(0.0 <= v <= 1.0 for o in out for v in o.values())
    # Batched and one-at-a-time agree (padding must not leak into the scores).
    single = model.predict(["you are an idiot"])[0]
    assert single == pytest.approx(out[1], abs=1e-4)


async def test_load_scorer_detoxify_batches(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path)
    scorer = load_scorer("detoxify", str(ckpt), max_wait=0.02)
    import asyncio

    res = await asyncio.gather(*(scorer.score(f"hello {w}") for w in WORDS))
    assert all("toxicity" in r for r in res)
    assert scorer.stats.batches < len(WORDS)  # type: ignore[attr-defined]
    await scorer.aclose()


def test_missing_named_model_says_where_to_put_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    monkeypatch.setenv("MODBOT_DETOXIFY_DIR", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(ModelNotFound, match=r"toxic_original-c1212f89\.ckpt") as info:
        load_model("detoxify", "original")
    assert str(tmp_path) in str(info.value)


def test_missing_base_files_is_clear(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path)
    for f in (tmp_path / "tiny-bert").iterdir():
        f.unlink()
    with pytest.raises(ModelNotFound, match="tiny-bert"):
        DetoxifyModel.load(str(ckpt))


def test_not_installed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(BackendNotInstalled, match=r"modbot\[detoxify\]"):
        load_model("detoxify", "original")
