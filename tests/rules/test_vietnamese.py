"""Vietnamese syllable check and diacritic folding."""

import pytest

from bot.rules.vietnamese import VI_LOWER, fold, has_vietnamese_letter, is_syllable

SYLLABLES = (
    "các cặc lớn lồn đeo đéo ngủ ngu đít địt người nguyên lon ma má gì giêng ghi kia quốc quyên "
    "khuya nghiêng xoong thuở rượu yêu khuỷu hoà hòa tuyệt gia già chó điên mẹ mày con ơi bạn "
    "ạ à ừ ý quá nhé rồi không trời đẹp chơi buồi cứt"
).split()
NOT_SYLLABLES = "fúck đm lồồồn dit cac đmm ngủủ ge ci ngi quu boa café fuck shit đéoo xyz".split()


@pytest.mark.parametrize("word", SYLLABLES)
def test_real_syllables_are_well_formed(word: str) -> None:
    assert is_syllable(word)


@pytest.mark.parametrize("word", NOT_SYLLABLES)
def test_other_words_are_not(word: str) -> None:
    assert not is_syllable(word)


def test_stop_codas_need_sac_or_nang() -> None:
    assert is_syllable("cát") and is_syllable("cạt")
    assert not is_syllable("cat") and not is_syllable("càt") and not is_syllable("cảt")


def test_fold() -> None:
    assert fold("Địt mẹ người ĐẸP") == "Dit me nguoi DEP"
    assert len(VI_LOWER) == 67
    assert all(len(fold(c)) == 1 and fold(c).isascii() for c in VI_LOWER)


def test_has_vietnamese_letter() -> None:
    assert has_vietnamese_letter("xin chào")
    assert not has_vietnamese_letter("xin chao")
    assert not has_vietnamese_letter("naïve")
