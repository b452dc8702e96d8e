"""heap.settle: garbage is collected, survivors are frozen, and a later settle frees what was frozen."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot import heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_collects_garbage_and_freezes_the_rest() -> None:
    kept = cycle()
    dropped = weakref.ref(cycle())  # unreachable at once, but a cycle: only the collector frees it
    heap.settle()
    assert dropped() is None
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == heap.YOUNG_OBJECTS_PER_PASS
    assert not any(obj is kept for obj in gc.get_objects())  # frozen objects are not tracked


def test_a_later_settle_frees_what_was_frozen_alive() -> None:
    old = cycle()
    gone = weakref.ref(old)
    heap.settle()
    del old  # a replaced rule set: frozen while alive, garbage now
    heap.settle()
    assert gone() is None
