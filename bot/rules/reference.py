"""The rules reference (docs/rules.md), generated from the conditions table and its docstrings."""

from __future__ import annotations

import importlib
import inspect

from bot.rules.actions import ACTION_NAMES
from bot.rules.conditions import CONDITIONS

INTRO = """\
# Rules reference

The rules file is one YAML file: every key is described in [`rules-file.md`](rules-file.md); this page
is generated from the code (`python scripts/gen_rules_doc.py`) so it always says what this version of the bot does.
Start from `rules.example.yaml`; validate with `modbot check`; try messages with `modbot explain`.

## Conditions

A condition is a mapping; several keys in one mapping must all hold. `all:`, `any:` (lists of
conditions) and `not:` (one condition) combine them. A rule fires when its `match` holds and its
`except` (if any) does not; moderators, the owner and members with a `roles.exempt` role are never
matched unless the rule says `exempt_moderators: false`.
"""

ACTIONS = """\
## Actions

| action | effect |
|---|---|
| `delete` | delete the message (once, however many rules ask) |
| `warn` | tell the member why and record a warning case |
| `strike` / `{strike: N}` | add strikes; the escalation ladder decides the sanction |
| `{mute: DURATION}` | Discord timeout (at most 28 days: longer mutes are clamped and the case says so) / Telegram restriction, lifted automatically |
| `kick` | remove the member; they may rejoin |
| `ban` / `{ban: DURATION}` | ban permanently or until the duration ends (lifted automatically) |
| `{reply: TEMPLATE}` | post a message in the channel; placeholders `{member}`, `{community}`, `{rule}`, `{reason}`, `{duration}` |
| `alert` | post the message, the rule and the member to the log channel |

When several rules match one message every match is recorded in one case, the message is deleted once,
strikes add up and the harshest sanction wins (warn < mute, longer mute < kick < temporary ban, longer
ban < permanent ban), including the sanction of a ladder step the strikes cross. A `shadow` rule records
what it would have done and carries out only its `alert`, marked as shadow.

Action names: {names}.
"""

NORMALIZATION = """\
## How text is normalized

Text conditions see the message after normalization, computed once per message, with a map from every
normalized position back to the original text (spans in `modbot explain` point into both):

- Unicode NFKC, case folding, invisible characters removed (zero-width spaces and joiners, word joiner,
  BOM, soft hyphen, direction marks, Mongolian vowel separator, invisible operators), combining overlays
  (strike-through, zalgo) removed.
- Look-alike letters folded to Latin (Cyrillic, Greek, fullwidth, mathematical, enclosed and small-capital
  letters) from the Unicode confusables data; Vietnamese letters are never folded as look-alikes.
- Leetspeak only inside a token that also has letters (`@`→a, `4`→a, `3`→e, `1`→i and l, `!`→i, `0`→o,
  `5`/`$`→s, `7`→t), so numbers stay numbers.
- Letters split by spaces or punctuation (`f.u.c.k`, `đ ị t`) are also searched joined.
- A run of repeated letters matches one letter of an entry, never the other way round (`fuuuck` matches
  `fuck`; `as` never matches `ass`).
- Vietnamese typed composed, decomposed or mixed is treated alike. Diacritics are folded for a word typed
  without them or one that shows obfuscation; a well-formed Vietnamese syllable in a message typed with
  diacritics is compared as written (`các` ≠ `cặc`, `ngủ` ≠ `ngu`). Text typed entirely without
  diacritics stays ambiguous (`cac ban oi` matches `cặc`): use `except` for such cases.

| condition | text it sees |
|---|---|
| `words`, `phrases`, `fuzzy` | fully normalized |
| `regex` | NFKC, case-folded, invisible characters removed (write patterns in lower case) |
| `links`, `invites`, `mentions`, `mass_mention` | NFKC, case-folded, invisible characters removed, defanged forms undone; no look-alike folding |
| `caps` | the original after NFKC |
| `length`, `lines`, `emoji`, `repeated` | the original |
"""


def condition_section(key: str) -> str:
    """One condition's section from its module docstring."""
    module = importlib.import_module(f"bot.rules.conditions.{key}")
    doc = inspect.cleandoc(module.__doc__ or "")
    title, _, body = doc.partition("\n")
    summary = title.split(":", 1)[1].strip() if ":" in title else title
    lines = [f"### `{key}`", "", summary[:1].upper() + summary[1:], ""]
    for block in body.strip().split("\n\n"):
        block = block.strip()
        if not block:
            continue
        head, _, rest = block.partition("\n")
        if head.endswith(":"):
            text = inspect.cleandoc(rest)
            if head == "Example:":
                lines += [f"**{head[:-1]}**", "", "```yaml", text, "```", ""]
            else:
                lines += [f"**{head[:-1]}.** {' '.join(text.split())}", ""]
        else:
            lines += [" ".join(block.split()), ""]
    modifiers = CONDITIONS[key].modifiers
    if modifiers:
        lines += [f"Modifiers read beside it: {', '.join(f'`{m}`' for m in modifiers)}.", ""]
    return "\n".join(lines)


def reference_markdown() -> str:
    """The whole reference page."""
    parts = [INTRO, "| key | holds when |", "|---|---|"]
    parts += [f"| `{key}` | {c.summary} |" for key, c in CONDITIONS.items()]
    parts.append("")
    parts += [condition_section(key) for key in CONDITIONS]
    parts.append(ACTIONS.replace("{names}", ", ".join(f"`{n}`" for n in ACTION_NAMES)))
    parts.append(NORMALIZATION)
    return "\n".join(parts).rstrip() + "\n"
