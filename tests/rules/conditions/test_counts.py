import pytest

from bot.events import Attachment
from tests.factories import message


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("HELLO EVERYONE LOOK AT THIS", True),
        ("Hello everyone", False),
        ("OK OK", False),
        ("MỌI NGƯỜI ƠI XEM NÈ", True),
    ],
)
def test_caps(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"caps": {"at_least": 0.7, "min_length": 12}}).fires(text) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("😂" * 5, True),
        ("👍🏽👍🏽👍🏽👍🏽👍🏽", True),
        ("👨‍👩‍👧" * 4, False),
        ("🇻🇳" * 5, True),
        ("<:pog:123456789>" * 5, True),
        ("hi :)", False),
    ],
)
def test_emoji(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"emoji": {"at_least": 5}}).fires(text) is fires


def test_lines_length_repeated(judge) -> None:  # type: ignore[no-untyped-def]
    assert judge({"lines": {"at_least": 3}}).fires("a\nb\nc")
    assert not judge({"lines": {"at_least": 3}}).fires("a\nb")
    assert judge({"length": {"at_least": 10}}).fires("x" * 10)
    assert not judge({"length": {"at_least": 10}}).fires("x" * 9)
    assert judge({"repeated": {"at_least": 5}}).fires("nooooo!")
    assert not judge({"repeated": {"at_least": 5}}).fires("noooo")


def test_mentions(judge) -> None:  # type: ignore[no-untyped-def]
    j = judge({"mentions": {"at_least": 3}})
    assert j.fires(message("hi", mentions=("1", "2", "3")))
    assert not j.fires(message("hi", mentions=("1", "2")))
    assert j.fires("<@1> <@!2> @carol")
    assert not j.fires("<@1> <@1> @bob @bob")
    assert not j.fires("mail me at a@b.com c@d.com e@f.com")


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("@everyone look", True),
        ("@here", True),
        ("@all vào đây", True),
        ("me@everyone.com", False),
        ("everyone", False),
    ],
)
def test_mass_mention_text(judge, text: str, fires: bool) -> None:  # type: ignore[no-untyped-def]
    assert judge({"mass_mention": True}).fires(text) is fires


def test_mass_mention_flag(judge) -> None:  # type: ignore[no-untyped-def]
    assert judge({"mass_mention": True}).fires(message("hello", mass_mention=True))


def test_attachments(judge) -> None:  # type: ignore[no-untyped-def]
    exe = Attachment(filename="free_nitro.EXE")
    pic = Attachment(filename="cat.png", kind="photo")
    j = judge({"attachments": {"types": ["exe", "apk"]}})
    assert j.fires(message("", attachments=(pic, exe)))
    assert not j.fires(message("", attachments=(pic,)))
    many = judge({"attachments": {"at_least": 2}})
    assert many.fires(message("", attachments=(pic, pic)))
    assert not many.fires(message("", attachments=(pic,)))
    assert judge({"attachments": {"types": ["sticker"]}}).fires(
        message("", attachments=(Attachment(kind="sticker"),))
    )


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab !", max_size=60), st.integers(2, 30))
def test_repeated_prefilter_never_misses_a_run(text: str, n: int) -> None:
    import re

    from bot.rules.conditions import CompileContext
    from bot.rules.conditions.base import Subject
    from bot.rules.conditions.params import AtLeast
    from bot.rules.conditions.repeated import CONDITION
    from bot.rules.context import EvalContext
    from tests.factories import T0

    matcher = CONDITION.compile(AtLeast(at_least=n), {}, CompileContext()).matcher
    expected = re.search("(.)\\1{" + str(max(n, 2) - 1) + ",}", text, re.S) is not None
    assert (matcher(Subject(message(text), EvalContext(now=T0))) is not None) is expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ab !"), st.integers(1, 40)), max_size=8),
    st.integers(2, 30),
)
def test_repeated_prefilter_never_misses_a_run_made_of_runs(
    runs: list[tuple[str, int]], n: int
) -> None:
    test_repeated_prefilter_never_misses_a_run.hypothesis.inner_test(  # type: ignore[attr-defined]
        "".join(c * k for c, k in runs), n
    )


def test_repeated_run_after_a_false_pair_of_samples(judge) -> None:  # type: ignore[no-untyped-def]
    # Sampled every 5th character: "aaax"; the run is between the 2nd and 3rd samples, not the 1st.
    assert judge({"repeated": {"at_least": 10}}).fires("abcde" + "a" * 10 + "xyz")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"aZ z A1 !\n", "Đ", "ạ", "ǅ", "ß", "Σ"]), max_size=40))
def test_capitals_count_as_str_methods_do(text: str) -> None:
    """The ASCII shortcut counts what ``str.isupper``/``islower`` count, character by character."""
    from bot.rules.conditions.caps import caps_share, count_capitals

    upper = sum(map(str.isupper, text))
    letters = upper + sum(map(str.islower, text))
    assert count_capitals(text) == upper
    assert caps_share(text) == (letters, upper / letters if letters else 0.0)
    ascii_text = text.encode("ascii", "ignore").decode()
    assert count_capitals(ascii_text) == sum(map(str.isupper, ascii_text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"a\n@ \r", "đ", "😂", "\u2028"]), max_size=30))
def test_line_and_mention_counts_as_written_plainly(text: str) -> None:
    """The counts that search before counting give what counting alone gives."""
    from bot.rules.conditions.base import FEATURES, Subject
    from bot.rules.conditions.lines import count_lines
    from bot.rules.context import EvalContext
    from tests.factories import T0

    subject = Subject(message(text), EvalContext(now=T0))
    lines = text.count("\n") + 1 if text else 0
    assert count_lines(subject) == FEATURES["lines"](subject) == lines
    assert FEATURES["mention_marks"](subject) == text.count("@")
    mentioned = Subject(message(text, mentions=("1", "2"), mass_mention=True), EvalContext(now=T0))
    assert FEATURES["mention_marks"](mentioned) == text.count("@") + 3


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", " ", "!", "đ", "😂"]), st.integers(1, 40)), max_size=8
    ),
    st.integers(2, 30),
)
def test_repeated_gate_is_reached_by_every_run(runs: list[tuple[str, int]], n: int) -> None:
    """The feature that gates ``repeated`` reaches ``at_least`` whenever the condition holds."""
    import re

    from bot.rules.conditions import CompileContext
    from bot.rules.conditions.base import FEATURES, Subject
    from bot.rules.conditions.params import AtLeast
    from bot.rules.conditions.repeated import CONDITION
    from bot.rules.context import EvalContext
    from tests.factories import T0

    text = "".join(c * k for c, k in runs)
    compiled = CONDITION.compile(AtLeast(at_least=n), {}, CompileContext())
    assert compiled.needs is not None
    ((feature, minimum),) = compiled.needs
    subject = Subject(message(text), EvalContext(now=T0))
    holds = re.search("(.)\\1{" + str(n - 1) + ",}", text, re.S) is not None
    assert (compiled.matcher(subject) is not None) is holds
    if holds:
        assert FEATURES[feature](subject) >= minimum
    assert FEATURES[feature](subject) <= len(text)
