from datetime import timedelta

from bot.i18n import CATALOGUES, human_duration, placeholders, t


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    en, vi = CATALOGUES["en"], CATALOGUES["vi"]
    assert set(en) == set(vi)
    for key in en:
        assert placeholders(en[key]) == placeholders(vi[key]), key


def test_t_fills_and_falls_back() -> None:
    assert t("cmd.unknown_case", "vi", case=7) == "Không có vụ #7."
    assert t("cmd.unknown_case", "fr", case=7) == "There is no case #7."
    assert t("cmd.unknown_case", "en") == "There is no case #{case}."


def test_human_duration() -> None:
    assert human_duration(timedelta(hours=1, minutes=30)) == "1 hour 30 minutes"
    assert human_duration(timedelta(days=1), "vi") == "1 ngày"
    assert human_duration(None, "vi") == "vĩnh viễn"
