"""Checks shared by both platforms' log-batching tests: every entry exactly once, in order."""

from __future__ import annotations


def assert_once_in_order(posts: list[list[tuple[int, int]]], cases: int) -> None:
    """``posts``: for each log post, its entries as (case id, member id)."""
    entries = [e for p in posts for e in p]
    assert sorted(c for c, _ in entries) == list(range(1, cases + 1))  # each exactly once
    by_member: dict[int, list[int]] = {}
    for case, member in entries:
        by_member.setdefault(member, []).append(case)
    assert all(ids == sorted(ids) for ids in by_member.values())  # a member's cases in order
