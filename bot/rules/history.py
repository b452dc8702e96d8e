"""Per-member sliding windows of recent messages, in bounded memory, for ``rate`` and ``duplicates``."""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime, timedelta

MemberKey = tuple[str, str, str]  # (platform, community id, member id)


class History:
    """Recent messages per member, oldest first; bounded in members and in messages per member.

    Entries older than ``max_window`` are dropped as new ones arrive, so memory is bounded by
    ``max_members * max_per_member`` whatever the traffic. The least recently active member is
    forgotten first when there are too many. Each member's window is kept in time order (a message
    that arrives late is inserted in place), so counting walks back from the newest entry and stops
    at the first one outside the window: a few steps, not the whole window.
    """

    def __init__(
        self,
        max_window: timedelta = timedelta(hours=1),
        max_per_member: int = 64,
        max_members: int = 50_000,
    ) -> None:
        self.max_window = max_window
        self.max_per_member = max_per_member
        self.max_members = max_members
        # Per member: the window (time, text) oldest first, and how many of its entries hold each
        # text (a bound of every ``count_same_since`` that one lookup gives: most texts are in a
        # window once). Kept together so forgetting a member is one step and no composite key is
        # built per message.
        self._members: OrderedDict[MemberKey, tuple[deque[tuple[datetime, str]], dict[str, int]]]
        self._members = OrderedDict()

    def __len__(self) -> int:
        return len(self._members)

    def record(self, member: MemberKey, when: datetime, text_key: str) -> None:
        """Add one message (``text_key`` is its normalized text, for duplicates)."""
        members = self._members
        found = members.get(member)
        if found is None:
            window, texts = members[member] = (deque(), {})
            if len(members) > self.max_members:
                members.popitem(last=False)
        else:
            members.move_to_end(member)
            window, texts = found
        if len(window) == self.max_per_member:
            _drop(texts, window.popleft()[1])  # the oldest by time: the window is in order
        if window and when < window[-1][0]:
            at = len(window)
            while at > 0 and window[at - 1][0] > when:
                at -= 1
            window.insert(at, (when, text_key))
        else:
            window.append((when, text_key))
        texts[text_key] = texts.get(text_key, 0) + 1
        horizon = when - self.max_window
        while window[0][0] < horizon:  # never empties it: this message is within the horizon
            _drop(texts, window.popleft()[1])

    def window(self, member: MemberKey) -> tuple[tuple[datetime, str], ...]:
        """The member's kept messages (time, text key), oldest first."""
        found = self._members.get(member)
        return () if found is None else tuple(found[0])

    def same_text(self, member: MemberKey, text_key: str) -> int:
        """Messages from ``member`` with this text kept in the window (a bound of the count below)."""
        found = self._members.get(member)
        return 0 if found is None else found[1].get(text_key, 0)

    def count_since(self, member: MemberKey, since: datetime) -> int:
        """Messages from ``member`` at or after ``since``."""
        found = self._members.get(member)
        if found is None:
            return 0
        window = found[0]
        count = 0
        for when, _ in reversed(window):
            if when < since:
                break
            count += 1
        return count

    def reaches(self, member: MemberKey, count: int, since: datetime) -> bool:
        """Whether ``count_since(member, since) >= count``, in one step: the window is in time
        order, so it holds when the ``count``-th newest entry is at or after ``since``."""
        if count <= 0:
            return True
        found = self._members.get(member)
        if found is None:
            return False
        window = found[0]
        return len(window) >= count and window[-count][0] >= since

    def count_same_since(self, member: MemberKey, text_key: str, since: datetime) -> int:
        """Messages from ``member`` with this exact normalized text at or after ``since``."""
        found = self._members.get(member)
        if found is None or text_key not in found[1]:
            return 0
        window = found[0]
        count = 0
        for when, key in reversed(window):
            if when < since:
                break
            if key == text_key:
                count += 1
        return count


def _drop(texts: dict[str, int], text_key: str) -> None:
    left = texts[text_key] - 1
    if left:
        texts[text_key] = left
    else:
        del texts[text_key]
