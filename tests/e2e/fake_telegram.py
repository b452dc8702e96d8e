"""A fake Telegram Bot API server on 127.0.0.1, answering python-telegram-bot as Telegram does."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from telegram import (
    AcceptedGiftTypes,
    Chat,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    ChatMemberUpdated,
    ChatPermissions,
    Message,
    MessageEntity,
    Sticker,
    Update,
    User,
)
from telegram.constants import MessageLimit

TOKEN = "123456:TEST-fake-token"
BOT_ID = 123456
# PTB sends str values raw and JSON-encodes everything else; these keys are always strings.
_STRING_KEYS = frozenset({"text", "caption", "parse_mode", "description", "title", "name"})
_DEFAULT_PERMISSIONS = ChatPermissions(
    can_send_messages=True,
    can_send_audios=True,
    can_send_documents=True,
    can_send_photos=True,
    can_send_videos=True,
    can_send_video_notes=True,
    can_send_voice_notes=True,
    can_send_polls=True,
    can_send_other_messages=True,
    can_add_web_page_previews=True,
    can_change_info=False,
    can_invite_users=True,
    can_pin_messages=False,
    can_manage_topics=False,
    can_edit_tag=False,
    can_react_to_messages=True,
)


@dataclass(frozen=True)
class Fault:
    """An error answer: HTTP status = Bot API ``error_code``."""

    status: int
    description: str
    retry_after: int | None = None


def rate_limited(retry_after: int = 1) -> Fault:
    """429 Too Many Requests with ``parameters.retry_after``."""
    return Fault(429, f"Too Many Requests: retry after {retry_after}", retry_after)


NOT_FOUND = Fault(400, "Bad Request: message to delete not found")
NO_RIGHTS = Fault(400, "Bad Request: not enough rights to delete a message")
FORBIDDEN = Fault(403, "Forbidden: bot is not a member of the supergroup chat")
# What Telegram answers a message to a user who never pressed Start in a private chat with the bot,
# or who blocked it (the bodies as Telegram sends them).
CANNOT_INITIATE = Fault(403, "Forbidden: bot can't initiate conversation with a user")
BLOCKED = Fault(403, "Forbidden: bot was blocked by the user")


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when received
    status: int = 0  # 0 until answered: a waiter must not see a call as done before its effect


@dataclass
class FakeChat:
    """A group as the fake knows it: members' state and what was done to them."""

    id: int
    title: str
    type: str = "supergroup"
    owner: User | None = None
    admins: list[User] = field(default_factory=list)
    permissions: ChatPermissions = _DEFAULT_PERMISSIONS
    banned: dict[int, int] = field(default_factory=dict)  # user -> until (0 = forever)
    restricted: dict[int, tuple[dict[str, Any], int]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Forum topics (``message_thread_id``s) of a supergroup with topics; empty: no topics.
    topics: set[int] = field(default_factory=set)

    @property
    def is_forum(self) -> bool:
        return bool(self.topics)

    @property
    def ptb(self) -> Chat:
        return Chat(self.id, self.type, title=self.title, is_forum=self.is_forum or None)


class FakeTelegram:
    """The server. ``push`` queues updates for ``getUpdates``; ``calls`` records every request."""

    def __init__(self, token: str = TOKEN, bot_id: int = BOT_ID) -> None:
        self.token = token
        self.me = User(
            bot_id,
            "Modbot",
            is_bot=True,
            username="modbot_test_bot",
            can_join_groups=True,
            can_read_all_group_messages=True,
            supports_inline_queries=False,
        )
        self.calls: list[Call] = []
        self.chats: dict[int, FakeChat] = {}
        self.violations: list[str] = []  # requests a real server would have misread
        self.served_at: dict[int, float] = {}  # update_id -> monotonic time first served
        self.started: set[int] = set()  # users who pressed Start in a private chat with the bot
        self.blocked: set[int] = set()  # users who blocked the bot
        self.private: dict[int, list[dict[str, Any]]] = {}  # user -> messages sent to them
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(900_000)
        self._faults: dict[str, deque[Fault]] = {}
        self.latency: dict[str, float] = {}  # method -> seconds before it is answered
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test controls ---------------------------------------------------------------------

    def chat(self, chat_id: int = -1001, title: str = "Test group", **kwargs: Any) -> FakeChat:
        """The chat ``chat_id``, created with an owner and the bot as administrator."""
        if chat_id not in self.chats:
            owner = User(1, "Owner", is_bot=False, username="owner")
            self.chats[chat_id] = FakeChat(chat_id, title, owner=owner, admins=[self.me], **kwargs)
        return self.chats[chat_id]

    def fail(self, method: str, fault: Fault, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``fault``."""
        self._faults.setdefault(method, deque()).extend([fault] * times)

    def push(self, update: Update | dict[str, Any]) -> int:
        """Queue an update for the next ``getUpdates``; returns its ``update_id``."""
        data = update.to_dict() if isinstance(update, Update) else dict(update)
        data["update_id"] = next(self._update_ids)
        self._pending.append(data)
        asyncio.get_running_loop().create_task(self._notify())
        return int(data["update_id"])

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] = lambda c: True,
        count: int = 1,
        within: float = 5.0,
        received: bool = False,
    ) -> list[Call]:
        """Wait until ``count`` successful calls of ``method`` matching ``where`` were answered
        (``received``: only made, whatever the answer - a long poll is answered much later)."""

        def found() -> list[Call]:
            calls = self.calls_of(method)
            return [c for c in calls if (received or c.status == 200) and where(c)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(found()) >= count), within)
        return found()

    async def idle(self, seconds: float = 0.3) -> None:
        """Let the bot work for a moment (to show that something did NOT happen)."""
        await asyncio.sleep(seconds)

    # ---- update builders (PTB objects -> dicts, so PTB's strict parsing accepts them) ---------

    def user(self, user_id: int, first_name: str = "", username: str | None = None) -> User:
        return User(user_id, first_name or f"User{user_id}", is_bot=False, username=username)

    def message(
        self,
        chat_id: int,
        user: User | None,
        text: str | None = None,
        *,
        edited: bool = False,
        channel_post: bool = False,
        topic: int | None = None,
        **fields: Any,
    ) -> Update:
        """An update carrying a message (or an edit, or a channel post) in ``chat_id``; with
        ``topic``, written in that forum topic (the chat becomes a forum with it)."""
        if topic is not None:
            self.chat(chat_id).topics.add(topic)
            fields |= {"message_thread_id": topic, "is_topic_message": True}
        chat = self.chat(chat_id).ptb
        now = datetime.now(UTC)
        if text and text.startswith("/") and "entities" not in fields:
            # Telegram marks a leading /command with a bot_command entity.
            word = text.split(maxsplit=1)[0]
            fields["entities"] = (MessageEntity(MessageEntity.BOT_COMMAND, 0, len(word)),)
        msg = Message(
            message_id=fields.pop("message_id", None) or next(self._message_ids),
            date=now,
            chat=chat,
            from_user=user,
            text=text,
            edit_date=now if edited else None,
            **fields,
        )
        if channel_post:
            return Update(0, channel_post=msg)
        if edited:
            return Update(0, edited_message=msg)
        return Update(0, message=msg)

    def private_message(self, user: User, text: str) -> Update:
        """A message from ``user`` in their private chat with the bot."""
        chat = Chat(user.id, Chat.PRIVATE, first_name=user.first_name, username=user.username)
        entities = ()
        if text.startswith("/"):
            word = text.split(maxsplit=1)[0]
            entities = (MessageEntity(MessageEntity.BOT_COMMAND, 0, len(word)),)
        msg = Message(
            next(self._message_ids),
            datetime.now(UTC),
            chat,
            from_user=user,
            text=text,
            entities=entities,
        )
        return Update(0, message=msg)

    def start_bot(self, user: User, payload: str = "") -> int:
        """``user`` presses Start in a private chat with the bot (from a ``?start=payload`` link):
        from now on the bot may write to them. Queues the ``/start`` message; returns its update id."""
        self.started.add(user.id)
        self.blocked.discard(user.id)
        return self.push(self.private_message(user, f"/start {payload}".strip()))

    def private_chat(self, params: dict[str, Any]) -> Chat | Fault | None:
        """For a ``chat_id`` that is a user (positive): their private chat when the bot may write
        to them, else Telegram's 403; None for a group's id."""
        user_id = int(params.get("chat_id", 0))
        if user_id <= 0:
            return None
        if user_id in self.blocked:
            return BLOCKED
        if user_id not in self.started:
            return CANNOT_INITIATE
        return Chat(user_id, Chat.PRIVATE, first_name=f"User{user_id}")

    def sticker_message(self, chat_id: int, user: User) -> Update:
        sticker = Sticker(
            "CAAC-file", "uniq-1", 512, 512, False, False, Sticker.REGULAR, emoji="😀"
        )
        return self.message(chat_id, user, sticker=sticker)

    def service_message(self, chat_id: int, user: User, joined: User) -> Update:
        return self.message(chat_id, user, new_chat_members=(joined,))

    def link_message(self, chat_id: int, user: User, label: str, url: str) -> Update:
        entity = MessageEntity(
            MessageEntity.TEXT_LINK, 0, len(label.encode("utf-16-le")) // 2, url=url
        )
        return self.message(chat_id, user, label, entities=(entity,))

    def member_update(self, chat_id: int, user: User, joined: bool = True) -> Update:
        """A ``chat_member`` update: ``user`` joined (or left) ``chat_id``."""
        old, new = (ChatMemberLeft(user), ChatMemberMember(user))
        if not joined:
            old, new = new, old
        change = ChatMemberUpdated(self.chat(chat_id).ptb, user, datetime.now(UTC), old, new)
        return Update(0, chat_member=change)

    # ---- the Bot API ---------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = _decode(await request.post()) if request.method == "POST" else {}
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        await self._notify()
        if self.latency.get(method):
            await asyncio.sleep(self.latency[method])  # a real round trip, for what queues behind
        try:
            if request.match_info["token"] != self.token:
                return self._error(call, Fault(401, "Unauthorized"))
            faults = self._faults.get(method)
            if faults:
                return self._error(call, faults.popleft())
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                return self._error(call, Fault(404, "Not Found: method not found"))
            result = await handler(params)
            if isinstance(result, Fault):
                return self._error(call, result)
            call.status = 200
            return web.json_response({"ok": True, "result": result})
        finally:
            await self._notify()

    def _error(self, call: Call, fault: Fault) -> web.Response:
        call.status = fault.status
        body: dict[str, Any] = {
            "ok": False,
            "error_code": fault.status,
            "description": fault.description,
        }
        if fault.retry_after is not None:
            body["parameters"] = {"retry_after": fault.retry_after}
        return web.json_response(body, status=fault.status)

    def _known_chat(self, params: dict[str, Any]) -> FakeChat | Fault:
        chat = self.chats.get(int(params.get("chat_id", 0)))
        return chat if chat is not None else Fault(400, "Bad Request: chat not found")

    def _check_until(self, method: str, params: dict[str, Any]) -> int | Fault:
        until = params.get("until_date")
        if until is None:
            return 0
        if not isinstance(until, int) or until <= time.time():
            # Telegram reads a bare number as an absolute Unix time: a past one means "forever".
            self.violations.append(f"{method} until_date={until!r} is not in the future")
            return Fault(
                400, f"Bad Request: fake server: until_date {until!r} is not in the future"
            )
        return until

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.me.to_dict()

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending and timeout > 0 and not self._closing:
            async with self._changed:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._pending) or self._closing),
                        timeout,
                    )
                except TimeoutError:
                    pass
        batch = self._pending[:limit]
        now = time.monotonic()
        for update in batch:
            self.served_at.setdefault(update["update_id"], now)
        return batch

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        private = self.private_chat(params)
        if isinstance(private, Fault):
            return private
        if private is None:
            group = self._known_chat(params)
            if isinstance(group, Fault):
                return group
            chat, sent = group.ptb, group.sent
        else:
            chat, sent = private, self.private.setdefault(private.id, [])
        topic = params.get("message_thread_id")
        if topic is not None:
            if private is not None or not group.is_forum:
                self.violations.append(f"sendMessage message_thread_id={topic} outside a forum")
                return Fault(400, "Bad Request: message thread not found")
            if topic not in group.topics:
                return Fault(400, "Bad Request: message thread not found")
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML":
            text = html.unescape(re.sub(r"<[^>]*>", "", text))  # what Telegram counts
        if len(text.encode("utf-16-le")) // 2 > MessageLimit.MAX_TEXT_LENGTH:
            self.violations.append(f"sendMessage text of {len(text)} characters")
            return Fault(400, "Bad Request: message is too long")
        msg = Message(
            next(self._message_ids),
            datetime.now(UTC),
            chat,
            from_user=self.me,
            text=str(params.get("text", "")),
            message_thread_id=topic,
            is_topic_message=True if topic is not None else None,
        )
        data = msg.to_dict()
        sent.append(data | {"parse_mode": params.get("parse_mode")})
        return data

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        message_id = int(params["message_id"])
        if message_id in chat.deleted:
            return NOT_FOUND
        chat.deleted.add(message_id)
        return True

    async def _api_restrictChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        until = self._check_until("restrictChatMember", params)
        if isinstance(until, Fault):
            return until
        user_id = int(params["user_id"])
        permissions = params.get("permissions")
        if not isinstance(permissions, dict):
            return Fault(400, "Bad Request: permissions must be an object")
        if all(permissions.values()) or permissions == chat.permissions.to_dict():
            chat.restricted.pop(user_id, None)
        else:
            chat.restricted[user_id] = (permissions, until)
        return True

    async def _api_banChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        until = self._check_until("banChatMember", params)
        if isinstance(until, Fault):
            return until
        user_id = int(params["user_id"])
        chat.banned[user_id] = until
        chat.restricted.pop(user_id, None)
        return True

    async def _api_unbanChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        user_id = int(params["user_id"])
        if params.get("only_if_banned") and user_id not in chat.banned:
            return True
        chat.banned.pop(user_id, None)
        return True

    async def _api_getChat(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        gifts = AcceptedGiftTypes(True, True, True, False, gifts_from_channels=True)
        info = ChatFullInfo(
            chat.id,
            chat.type,
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types=gifts,
            title=chat.title,
            permissions=chat.permissions,
        )
        return info.to_dict()

    def _member(self, chat: FakeChat, user: User) -> Any:
        if chat.owner is not None and user.id == chat.owner.id:
            return ChatMemberOwner(user, is_anonymous=False)
        if any(a.id == user.id for a in chat.admins):
            return admin_member(user)
        if user.id in chat.banned:
            until = chat.banned[user.id]
            return ChatMemberBanned(user, datetime.fromtimestamp(until, UTC))
        if user.id in chat.restricted:
            perms, until = chat.restricted[user.id]
            p = ChatPermissions(**perms)
            return ChatMemberRestricted(
                user,
                is_member=True,
                can_change_info=bool(p.can_change_info),
                can_invite_users=bool(p.can_invite_users),
                can_pin_messages=bool(p.can_pin_messages),
                can_send_messages=bool(p.can_send_messages),
                can_send_polls=bool(p.can_send_polls),
                can_send_other_messages=bool(p.can_send_other_messages),
                can_add_web_page_previews=bool(p.can_add_web_page_previews),
                can_manage_topics=bool(p.can_manage_topics),
                until_date=datetime.fromtimestamp(until, UTC),
                can_send_audios=bool(p.can_send_audios),
                can_send_documents=bool(p.can_send_documents),
                can_send_photos=bool(p.can_send_photos),
                can_send_videos=bool(p.can_send_videos),
                can_send_video_notes=bool(p.can_send_video_notes),
                can_send_voice_notes=bool(p.can_send_voice_notes),
                can_edit_tag=bool(p.can_edit_tag),
                can_react_to_messages=bool(p.can_react_to_messages),
            )
        return ChatMemberMember(user)

    async def _api_getChatAdministrators(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        people = ([chat.owner] if chat.owner else []) + chat.admins
        return [self._member(chat, u).to_dict() for u in people]

    async def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        if isinstance(chat, Fault):
            return chat
        user_id = int(params["user_id"])
        known = [chat.owner, *chat.admins] if chat.owner else chat.admins
        user = next((u for u in known if u.id == user_id), None) or self.user(user_id)
        return self._member(chat, user).to_dict()


def admin_member(user: User) -> ChatMemberAdministrator:
    return ChatMemberAdministrator(
        user,
        can_be_edited=False,
        is_anonymous=False,
        can_manage_chat=True,
        can_delete_messages=True,
        can_manage_video_chats=True,
        can_restrict_members=True,
        can_promote_members=False,
        can_change_info=True,
        can_invite_users=True,
        can_post_stories=False,
        can_edit_stories=False,
        can_delete_stories=False,
    )


def _decode(form: Any) -> dict[str, Any]:
    """Form fields -> values: strings as sent, everything else JSON-decoded (as PTB encodes it)."""
    out: dict[str, Any] = {}
    for key, raw in form.items():
        if not isinstance(raw, str) or key in _STRING_KEYS:
            out[key] = raw
            continue
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out
