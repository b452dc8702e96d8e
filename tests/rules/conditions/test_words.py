import pytest


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("this is shit", True),
        ("ѕhіt", True),  # Cyrillic s and i
        ("shіt", True),
        ("5h1t", True),
        ("$hit", True),
        ("sh!t", True),
        ("s.h.i.t", True),
        ("shiiiit", True),
        ("SHIT", True),
        ("shiitake", False),
        ("shitake", False),
        ("the ship", False),
        ("2024 is 5 years after", False),
    ],
)
def test_words_evasions_and_innocents(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"words": ["shit"]}).fires(text) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("kick his ass", True),
        ("@ss", True),
        ("a s s", True),
        ("assassin", False),
        ("class", False),
        ("as", False),
        ("pass me", False),
    ],
)
def test_whole_words(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"words": ["ass"]}).fires(text) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [("what a cunt", True), ("Scunthorpe", False), ("scunthorpe united", False)],
)
def test_scunthorpe(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"words": ["cunt"]}).fires(text) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("mày ngu thế", True),
        ("ngu vãi", True),
        ("NGU", True),
        ("người", False),
        ("nguyên", False),
        ("nguyễn", False),
        ("đi ngủ thôi", False),
    ],
)
def test_vietnamese_whole_word(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"words": ["ngu"]}).fires(text) is fires


NFD = "\u0111i\u0323t"  # đ + i + combining dot below + t


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("địt", True),
        (NFD, True),
        ("dit", True),
        ("d1t", True),
        ("đ.ị.t", True),
        ("đ ị t", True),
        ("ĐỊT", True),
        ("đít", False),
        ("đi", False),
    ],
)
def test_vietnamese_diacritics(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"words": ["địt"]}).fires(text) is fires


@pytest.mark.parametrize(
    ("entry", "text", "fires"),
    [
        ("cặc", "các bạn ơi", False),
        ("cặc", "cac ban oi", True),  # no diacritics anywhere: ambiguous by contract
        ("lồn", "lớn lên", False),
        ("lồn", "lồồồn", True),
        ("đéo", "đeo kính", False),
        ("đéo", "đéo biết", True),
    ],
)
def test_vietnamese_as_written(judge, entry: str, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"words": [entry]}).fires(text) is fires


def test_wildcards(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"words": ["scam*"]})
    assert j.fires("what a scammer")
    assert j.fires("scam")
    assert not j.fires("a noscam here")
    j = judge({"words": ["*coin"]})
    assert j.fires("buy shitcoin now")
    assert not j.fires("coins")


def test_fuzzy_bounded_by_length(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"words": ["goodreads", "spam"], "fuzzy": 1})
    assert j.fires("goodread")
    assert j.fires("goodrads")
    assert not j.fires("spa")  # short entries need an exact match
    assert not j.fires("good reading")
    j2 = judge({"words": ["goodreads"], "fuzzy": 2})
    assert j2.fires("godread")


def test_words_file(judge, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.txt").write_text("# comment\nbadword\n\nworse word\n", encoding="utf-8")
    j = judge({"words_file": "bad.txt"})
    assert j.fires("a badword here")
    assert j.fires("worse   word")
    assert not j.fires("a good word")


def test_span_points_at_the_word(judge) -> None:  # type: ignore[no-untyped-def]
    d = judge({"words": ["shit"]}).decide("oh s.h.i.t no")
    (m,) = d.matches
    start, end = d.nt.original_span(*m.span)
    assert d.message.text[start:end] == "s.h.i.t"
