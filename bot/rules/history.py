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
        self._members: OrderedDict[MemberKey, deque[tuple[datetime, str]]] = OrderedDict()
        # How many entries of each member's window hold each text: a bound of every
        # ``count_same_since`` that one lookup gives (most texts are in a window once).
        self._texts: dict[tuple[MemberKey, str], int] = {}

    def __len__(self) -> int:
        return len(self._members)

    def record(self, member: MemberKey, when: datetime, text_key: str) -> None:
        """Add one message (``text_key`` is its normalized text, for duplicates)."""
        members = self._members
        window = members.get(member)
        if window is None:
            window = members[member] = deque()
            if len(members) > self.max_members:
                self._forget(*members.popitem(last=False))
        else:
            members.move_to_end(member)
        if len(window) == self.max_per_member:
            self._drop(member, window.popleft())  # the oldest by time: the window is in order
        if window and when < window[-1][0]:
            at = len(window)
            while at > 0 and window[at - 1][0] > when:
                at -= 1
            window.insert(at, (when, text_key))
        else:
            window.append((when, text_key))
        texts = self._texts
        key = (member, text_key)
        texts[key] = texts.get(key, 0) + 1
        horizon = when - self.max_window
        while window[0][0] < horizon:  # never empties it: this message is within the horizon
            self._drop(member, window.popleft())

    def _drop(self, member: MemberKey, entry: tuple[datetime, str]) -> None:
        key = (member, entry[1])
        left = self._texts[key] - 1
        if left:
            self._texts[key] = left
        else:
            del self._texts[key]

    def _forget(self, member: MemberKey, window: deque[tuple[datetime, str]]) -> None:
        for entry in window:
            self._drop(member, entry)

    def size(self, member: MemberKey) -> int:
        """Messages from ``member`` kept in the window (an upper bound of every count below)."""
        window = self._members.get(member)
        return 0 if window is None else len(window)

    def same_text(self, member: MemberKey, text_key: str) -> int:
        """Messages from ``member`` with this text kept in the window (a bound of the count below)."""
        return self._texts.get((member, text_key), 0)

    def count_since(self, member: MemberKey, since: datetime) -> int:
        """Messages from ``member`` at or after ``since``."""
        window = self._members.get(member)
        if not window:
            return 0
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
        window = self._members.get(member)
        return window is not None and len(window) >= count and window[-count][0] >= since

    def count_same_since(self, member: MemberKey, text_key: str, since: datetime) -> int:
        """Messages from ``member`` with this exact normalized text at or after ``since``."""
        window = self._members.get(member)
        if not window:
            return 0
        count = 0
        for when, key in reversed(window):
            if when < since:
                break
            if key == text_key:
                count += 1
        return count
