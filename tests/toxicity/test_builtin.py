"""The shipped built-in model: loads fast, scores sensibly, inference matches its definition."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bot.toxicity import ModelNotFound, Scorer, load_model, load_scorer
from bot.toxicity.builtin import ARTIFACT, BuiltinModel, fold_diacritics, scoring_text

HARMLESS = Path(__file__).resolve().parents[1] / "data" / "harmless_chat.txt"

TOXIC = [
    "you are a fucking idiot",
    "shut up you stupid bitch",
    "thằng chó ngu như bò",
    "đm mày câm mồm đi",
    "may ngu vl",
    "đéo ai thèm nghe mày nói",
]
CLEAN = [
    "hello friends, how are you?",
    "can someone help me with my python script?",
    "chúc mọi người ngủ ngon",
    "các bạn ơi tối nay đi ăn không?",
    "mua hạt óc chó ở đâu vậy",
    "I love the assassin class in this game",
]


@pytest.fixture(scope="module")
def model() -> BuiltinModel:
    return BuiltinModel.load()


def test_artifact_is_small_and_loads_fast() -> None:
    assert ARTIFACT.stat().st_size <= 20 * 1024 * 1024
    t0 = time.perf_counter()
    m = BuiltinModel.load()
    assert time.perf_counter() - t0 < 1.0
    assert len(m) > 10_000
    assert m.meta["format"] == 1


def test_toxic_scores_above_clean(model: BuiltinModel) -> None:
    toxic = model.score_texts(TOXIC)
    clean = model.score_texts(CLEAN)
    assert min(toxic) > 0.5, list(zip(TOXIC, toxic, strict=True))
    assert max(clean) < 0.5, list(zip(CLEAN, clean, strict=True))


def test_harmless_chat_false_positive_rate(model: BuiltinModel) -> None:
    lines = [ln for ln in HARMLESS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(lines) >= 250
    scores = np.array(model.score_texts(lines))
    assert (scores >= 0.5).mean() <= 0.05


def test_fast_path_equals_reference(model: BuiltinModel) -> None:
    texts = [scoring_text(t) for t in [*TOXIC, *CLEAN, "", "!!!", "ha ha ha ha ha", "a" * 300]]
    fast = model.decisions(texts)
    ref = np.array([model.decision_reference(t) for t in texts])
    assert np.allclose(fast, ref, atol=1e-9)


def test_batch_equals_one_at_a_time(model: BuiltinModel) -> None:
    texts = TOXIC + CLEAN
    assert np.allclose(model.score_texts(texts), [model.score_text(t) for t in texts])


def test_predict_shape(model: BuiltinModel) -> None:
    out = model.predict(["hi", ""])
    assert len(out) == 2
    assert set(out[0]) == {"toxicity"}
    assert all(0.0 <= s["toxicity"] <= 1.0 for s in out)


def test_no_diacritics_still_scores_toxic(model: BuiltinModel) -> None:
    folded = [fold_diacritics(t) for t in TOXIC[2:]]
    assert min(model.score_texts(folded)) > 0.5


def test_missing_artifact_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"train_toxicity\.py"):
        BuiltinModel.load(tmp_path / "nope.npz")


def test_save_roundtrip(model: BuiltinModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    model.save(path)
    again = BuiltinModel.load(path)
    assert np.allclose(
        again.score_texts(TOXIC + CLEAN), model.score_texts(TOXIC + CLEAN), atol=1e-6
    )


async def test_load_scorer_builtin_and_off() -> None:
    scorer = load_scorer("builtin")
    assert isinstance(scorer, Scorer)
    out = await scorer.score_many(["you are a fucking idiot", "good morning everyone"])
    assert out[0]["toxicity"] > 0.5 > out[1]["toxicity"]
    await scorer.aclose()
    for off in ("off", False, None):
        disabled = load_scorer(off)
        assert disabled.enabled is False
        assert await disabled.score_many(["x"]) == [{"toxicity": 0.0}]
    assert isinstance(load_model("builtin"), BuiltinModel)


def test_artifact_was_trained_with_the_engine_normalizer(model: BuiltinModel) -> None:
    from bot.toxicity.builtin import current_normalizer

    # A mismatch means the artifact must be retrained: scripts/train_toxicity.py.
    assert model.normalizer == current_normalizer()
