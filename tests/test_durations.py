from datetime import timedelta

import pytest

from bot.rules.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert format_duration(expected) == text


@pytest.mark.parametrize("bad", ["10 seconds", "", "5", "m", "0m", "-1h", "1.5h", None, True, 10])
def test_bad(bad: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(bad)
