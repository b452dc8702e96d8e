import time

import pytest


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("zalo: 0912345678", True),
        ("ZALO 0912345678", True),
        ("call 091234", False),
    ],
)
def test_regex(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"regex": [r"zalo\s*:?\s*0\d{9}"]}).fires(text) is fires


def test_regex_sees_digits_as_digits(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"regex": [r"\d{4}"]})
    assert j.fires("year 2024")
    assert not j.fires("leet t3st")  # no leet folding turns letters into digits or back


def test_vietnamese_pattern_as_typed(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"regex": ["lừa\\s+đảo"]})
    assert j.fires("LỪA ĐẢO đấy")
    assert j.fires("lu\u031b\u0300a \u0111a\u0309o")  # NFD input: u + horn + grave
    assert not j.fires("lua dao")


def test_catastrophic_pattern_is_linear(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"regex": ["(a+)+$"]})
    text = "a" * 100_000 + "!"
    start = time.perf_counter()
    j.decide(text)
    assert time.perf_counter() - start < 1.0  # RE2: linear; a backtracking engine never returns


def test_span_is_reported_in_normalized_text(judge) -> None:  # type: ignore[no-untyped-def]
    d = judge({"regex": [r"\d{3}"]}).decide("abc 123")
    (m,) = d.matches
    assert d.normalized[m.span[0] : m.span[1]] == "123"
