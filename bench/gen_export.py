"""Generate a large, realistic chat export (Telegram Desktop or DiscordChatExporter JSON)."""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = (
    "hello everyone does anyone know how to fix this bug i think the build is broken again "
    "thanks for the help the new release looks great please read the rules before posting "
    "xin chào mọi người hôm nay trời đẹp quá cảm ơn bạn nhiều nhé sách này hay lắm"
).split()
LINKS = ("https://example.com/page", "https://github.com/org/repo/issues/1", "t.me/somechannel")
SPAM = ("FREE NITRO click here discord.gg/freenitro", "join now t.me/+AbCdEfGhIjK crypto signals")
SERVICE_ACTIONS = ("join_group_by_link", "pin_message", "invite_members", "edit_group_title")


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 18)))


def telegram_messages(n: int, seed: int, members: int) -> Iterator[dict[str, object]]:
    """Yield ``n`` Telegram Desktop message objects, mixing the variants the reader handles."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    t = start
    for i in range(1, n + 1):
        t += timedelta(seconds=rng.randint(0, 20))
        uid = rng.randint(1, members)
        base: dict[str, object] = {
            "id": i,
            "type": "message",
            "date": t.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(int(t.timestamp())),
        }
        r = rng.random()
        if r < 0.03:
            base.update(
                type="service",
                actor=f"Member {uid}",
                actor_id=f"user{uid}",
                action=rng.choice(SERVICE_ACTIONS),
                text="",
                text_entities=[],
            )
            yield base
            continue
        base.update({"from": f"Member {uid}", "from_id": f"user{uid}"})
        text: object
        entities: list[dict[str, object]]
        if r < 0.55:
            s = _sentence(rng)
            text, entities = s, [{"type": "plain", "text": s}]
        elif r < 0.70:
            s1, s2 = _sentence(rng), _sentence(rng)
            link = rng.choice(LINKS)
            parts: list[object] = [
                s1 + " ",
                {"type": "text_link", "text": "here", "href": link},
                " ",
                {"type": "mention", "text": f"@user{rng.randint(1, members)}"},
                " " + s2,
            ]
            text = parts
            entities = [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts]
        elif r < 0.75:
            s = rng.choice(SPAM)
            text, entities = s, [{"type": "plain", "text": s}]
        elif r < 0.85:
            s = _sentence(rng)
            base.update(photo="(File not included. Change data exporting settings to download.)")
            base.update(photo_file_size=rng.randint(10_000, 900_000), width=1280, height=720)
            text, entities = s, [{"type": "plain", "text": s}]
        elif r < 0.90:
            base.update(
                file="(File not included. Change data exporting settings to download.)",
                file_size=20_000,
                media_type="sticker",
                sticker_emoji="😀",
                width=512,
                height=512,
            )
            text, entities = "", []
        elif r < 0.93:
            q = _sentence(rng) + "?"
            base["poll"] = {
                "question": q,
                "closed": False,
                "total_voters": 3,
                "answers": [{"text": "yes", "voters": 2, "chosen": False}],
            }
            text, entities = "", []
        else:
            s = _sentence(rng)
            base["forwarded_from"] = "Some Channel"
            text, entities = s, [{"type": "plain", "text": s}]
        if rng.random() < 0.1 and i > 1:
            base["reply_to_message_id"] = rng.randint(max(1, i - 50), i - 1)
        if rng.random() < 0.05:
            e = t + timedelta(minutes=2)
            base["edited"] = e.strftime("%Y-%m-%dT%H:%M:%S")
            base["edited_unixtime"] = str(int(e.timestamp()))
        base["text"] = text
        base["text_entities"] = entities
        yield base


def discord_messages(n: int, seed: int, members: int) -> Iterator[dict[str, object]]:
    """Yield ``n`` DiscordChatExporter message objects."""
    rng = random.Random(seed)
    t = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(1, n + 1):
        t += timedelta(seconds=rng.randint(0, 20))
        uid = 100_000_000_000_000_000 + rng.randint(1, members)
        r = rng.random()
        kind = "Default"
        content = _sentence(rng)
        if r < 0.03:
            kind, content = "GuildMemberJoin", "Joined the server."
        elif r < 0.15:
            content = content + " " + rng.choice(LINKS)
        elif r < 0.20:
            content = rng.choice(SPAM)
        msg: dict[str, object] = {
            "id": str(1_000_000_000_000_000_000 + i),
            "type": kind,
            "timestamp": t.isoformat(timespec="milliseconds"),
            "timestampEdited": None,
            "callEndedTimestamp": None,
            "isPinned": False,
            "content": content,
            "author": {
                "id": str(uid),
                "name": f"member{uid % 100000}",
                "discriminator": "0000",
                "nickname": f"Member {uid % 100000}",
                "color": None,
                "isBot": rng.random() < 0.02,
                "roles": [{"id": "1", "name": "Member", "color": None, "position": 1}],
                "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png",
            },
            "attachments": [],
            "embeds": [],
            "stickers": [],
            "reactions": [],
            "mentions": [],
            "inlineEmojis": [],
        }
        if rng.random() < 0.05:
            msg["attachments"] = [
                {"id": "1", "url": "https://cdn/x.png", "fileName": "x.png", "fileSizeBytes": 1234}
            ]
        if rng.random() < 0.1 and i > 1:
            msg["type"] = "Reply" if kind == "Default" else kind
            msg["reference"] = {
                "messageId": str(1_000_000_000_000_000_000 + i - 1),
                "channelId": "2",
                "guildId": "1",
            }
        yield msg


def write_export(path: Path, fmt: str, n: int, seed: int = 1, members: int = 5000) -> int:
    """Write ``n`` messages to ``path`` without holding them in memory; returns bytes written."""
    with path.open("w", encoding="utf-8") as f:
        if fmt == "telegram":
            f.write(
                '{\n "name": "Bench Group",\n "type": "public_supergroup",\n "id": 1234567890,\n'
            )
            gen: Iterator[dict[str, object]] = telegram_messages(n, seed, members)
        else:
            head = {
                "guild": {"id": "1", "name": "Bench Guild", "iconUrl": ""},
                "channel": {
                    "id": "2",
                    "type": "GuildTextChat",
                    "categoryId": None,
                    "category": None,
                    "name": "general",
                    "topic": None,
                },
                "dateRange": {"after": None, "before": None},
                "exportedAt": "2024-06-01T00:00:00+00:00",
            }
            f.write("{\n" + json.dumps(head, ensure_ascii=False)[1:-1] + ",\n")
            gen = discord_messages(n, seed, members)
        f.write(' "messages": [\n')
        for i, m in enumerate(gen):
            if i:
                f.write(",\n")
            f.write(json.dumps(m, ensure_ascii=False, indent=None))
        f.write("\n ]")
        if fmt == "discord":
            f.write(f',\n "messageCount": {n}')
        f.write("\n}\n")
        return f.tell()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--format", choices=("telegram", "discord"), default="telegram")
    p.add_argument("--messages", type=int, default=500_000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    size = write_export(a.out, a.format, a.messages, a.seed)
    print(f"wrote {a.messages} messages, {size / 1e6:.1f} MB to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
