import pytest


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("get FREE NITRO now", True),
        ("free...n1tro!!", True),
        ("free\n\nnitro", True),
        ("nitro free", False),
        ("freenitro", False),
        ("carefree nitrogen", False),
    ],
)
def test_phrases(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"phrases": ["free nitro"]}).fires(text) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Việc nhẹ lương cao đây", True),
        ("viec nhe luong cao", True),
        ("việc nặng lương thấp", False),
    ],
)
def test_vietnamese_phrases(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"phrases": ["việc nhẹ lương cao"]}).fires(text) is fires
