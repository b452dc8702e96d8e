"""`member_age`: the member joined the community less than a duration ago.

What it matches:
    Members who joined less than ``under`` ago. An unknown join time never matches.

Parameters:
    ``{under: DURATION}``.

Example:
    match: {member_age: {under: 10m}}
"""

from __future__ import annotations

from bot.rules.conditions.account_age import age_condition

CONDITION = age_condition("member_age", "joined_at", "the member joined less than ... ago")
