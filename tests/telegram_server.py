"""A fake Telegram Bot API server on loopback: Telegram's JSON envelopes, its checks, its limits, its errors.

Simulated people type messages and press buttons (``write``/``press`` queue updates for getUpdates long
polling); every accepted sendMessage and edit is recorded as a ``Sent``. Like Telegram it refuses
malformed HTML, texts over 4,096 UTF-16 code units, callback data over 64 bytes and URL buttons pointing
at localhost or bare IP addresses; it answers 403 for chats that blocked the bot, 400 for unknown chats
and migrated groups, and 429 with ``retry_after`` when scripted or when ``limits`` are exceeded; 401 to every
call while ``rejecting`` (a revoked token).

Channels (``add_channel``) take posts by ``@username`` or id from an administrator bot only, else 403.
Inline queries (``ask_inline``) are answered with answerInlineQuery, refused when answered twice or
after ``inline_timeout`` (10 s), as Telegram does; results are checked like messages.
Webhooks (``webhook``, tests/telegram_webhook.py): while one is set, updates are posted to it and getUpdates
answers 409 Conflict, as Telegram does.
"""

import contextlib
import ipaddress
import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html import unescape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer
from tests.telegram_webhook import CONFLICT, Webhook

TOKEN = "123456:TEST-token"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "PolicyWatch",
    "username": "policywatch_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)((?:\s[^<>]*)?)>|&(?:#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]")
_JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "commands",
    "allowed_updates",
    "scope",
    "entities",
    "results",
    "button",
}
INLINE_TIMEOUT = 10.0  # seconds Telegram waits for an answer to an inline query
STALE_QUERY = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class BotApiError(Exception):
    """An error answer: HTTP status, Telegram's description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Telegram's HTML parse mode: the plain text, or BotApiError for what Telegram refuses."""
    plain, stack, position = [], [], 0
    for match in _HTML_TOKEN.finditer(text):
        plain.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in "<>&":
            raise BotApiError(
                400,
                f"Bad Request: can't parse entities: unsupported start tag or "
                f"unescaped character at byte offset {match.start()}",
            )
        if token.startswith("&"):
            plain.append(unescape(token))
            continue
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if name not in ALLOWED_TAGS:
            raise BotApiError(400, f'Bad Request: can\'t parse entities: unsupported start tag "{name}"')
        if closing:
            if not stack or stack.pop() != name:
                raise BotApiError(400, f'Bad Request: can\'t parse entities: unmatched end tag "{name}"')
        else:
            if name == "a" and "href=" not in attributes:
                raise BotApiError(400, "Bad Request: can't parse entities: a tag without href")
            stack.append(name)
    plain.append(text[position:])
    if stack:
        raise BotApiError(
            400,
            f"Bad Request: can't parse entities: can't find end tag corresponding to "
            f'start tag "{stack[-1]}"',
        )
    return "".join(plain)


def check_button_url(url: str) -> None:
    """Telegram refuses URL buttons to localhost, bare IP addresses and names without a dot."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    if parts.scheme not in ("http", "https", "tg") or is_ip or "." not in host or host.endswith("localhost"):
        raise BotApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def check_markup(markup: dict | None) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise BotApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                size = len(button["callback_data"].encode("utf-8"))
                if not 1 <= size <= 64:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            elif "url" in button:
                check_button_url(button["url"])
            else:
                raise BotApiError(400, "Bad Request: can't parse inline keyboard button")


@dataclass
class Sent:
    """A message the bot sent (or edited): its HTML, the plain text people see, its buttons."""

    method: str
    chat_id: int
    message_id: int
    html: str
    text: str
    params: dict
    at: float = field(default_factory=time.monotonic)

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button(self, label: str) -> dict:
        """The button whose label contains ``label``."""
        matches = [button for button in self.buttons if label in button["text"]]
        assert matches, f"no button {label!r} among {[b['text'] for b in self.buttons]}"
        return matches[0]


@dataclass
class Limits:
    """Telegram's sending limits as this server enforces them."""

    per_second: int = 30  # messages in any 1 s, all chats together
    paid_per_second: int = 1000  # with allow_paid_broadcast: paid messages and free ones together in any 1 s
    per_group_minute: int = 20  # messages to one group in any 60 s
    per_chat_interval: float = 0.95  # seconds between two messages to one private chat


def update_id_of(query_id: str) -> int:
    """The id of the update that carried the callback (or inline) query ``query_id``."""
    return int(query_id.removeprefix("cq").removeprefix("iq"))


class TelegramServer(LoopbackServer):
    """The fake Bot API; ``base_url`` is what TELEGRAM_API_BASE_URL takes."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits
        self.condition = threading.Condition()
        self.pending: list[dict] = []
        self.next_update_id = 1
        self.next_message_id = 1
        self.sent: list[Sent] = []
        self.calls: list[str] = []  # the method of every request, in order
        self.answers: dict[str, dict] = {}  # callback query id -> answerCallbackQuery params
        self.errors: list[tuple[str, int, str]] = []  # (method, code, description) of every error answer
        self.commands: dict[str | None, list[dict]] = {}
        self.chats: dict[int, dict] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.blocked: set[int] = set()
        self.missing: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.scripted: deque[BotApiError] = deque()  # errors answered to the next sends, in turn
        self.hold_after: int | None = None  # once this many messages were sent, hold the next ones, then drop
        self.rejecting = False  # answer 401 Unauthorized to every call, as for a revoked token
        self._send_times: deque[float] = deque()
        self._paid_times: deque[float] = deque()  # sends with allow_paid_broadcast
        self._chat_times: dict[int, deque[float]] = defaultdict(deque)
        self.closing = False
        self.reports_handling = False  # the bot under test says when it has handled each update
        self._handled: set[int] = set()
        self.channels: dict[int, dict] = {}  # channel chats by id
        self.channel_admins: set[int] = set()  # the channels where the bot is an administrator
        self.inline_asked: dict[str, float] = {}  # inline query id -> when it was asked
        self.inline_answers: dict[str, dict] = {}  # inline query id -> answerInlineQuery params
        self.inline_timeout = INLINE_TIMEOUT
        self.webhook = Webhook(self)  # while its URL is set, updates are posted there, not polled
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        return self.origin + "/bot"

    # -- people --------------------------------------------------------------------------------------

    def _push(self, update: dict) -> int:
        with self.condition:
            update["update_id"] = self.next_update_id
            self.next_update_id += 1
            self.pending.append(update)
            self.condition.notify_all()
            return update["update_id"]

    def write(self, chat: dict, user: dict, text: str, sender_chat: dict | None = None) -> int:
        """``user`` writes ``text`` in ``chat``; a leading /command carries Telegram's bot_command entity."""
        self.chats[chat["id"]] = chat
        message = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]
        return self._push({"message": message})

    def press(self, user: dict, message: Sent, data: str) -> str:
        """``user`` presses a button with ``data`` under ``message``; returns the callback query id."""
        query_id = f"cq{self.next_update_id}"  # update_id_of() reads the update id back
        shown = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self._chat_of(message.chat_id),
            "from": BOT_USER,
            "text": message.text,
        }
        if message.params.get("reply_markup"):
            shown["reply_markup"] = message.params["reply_markup"]
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": str(message.chat_id),
                    "message": shown,
                    "data": data,
                }
            }
        )
        return query_id

    def add_channel(self, username: str, chat_id: int = -1001234567890, bot_is_admin: bool = True) -> dict:
        """A channel ``@username``; the bot posts there only as an administrator (else 403, as Telegram)."""
        chat = {"id": chat_id, "type": "channel", "title": username, "username": username}
        self.chats[chat_id] = self.channels[chat_id] = chat
        if bot_is_admin:
            self.channel_admins.add(chat_id)
        return chat

    def posts(self, chat_id: int) -> list[Sent]:
        """What was posted to a channel."""
        return self.to_chat(chat_id)

    def ask_inline(self, user: dict, query: str) -> str:
        """``user`` types ``@bot query`` in some chat; returns the inline query id."""
        query_id = f"iq{self.next_update_id}"
        with self.condition:
            self.inline_asked[query_id] = time.monotonic()
        inline = {"id": query_id, "from": user, "query": query, "offset": "", "chat_type": "private"}
        self._push({"inline_query": inline})
        return query_id

    # -- the Bot API ---------------------------------------------------------------------------------

    def _message_id(self) -> int:
        with self.condition:
            self.next_message_id += 1
            return self.next_message_id

    def _chat(self, params: dict) -> int:
        named = str(params.get("chat_id", ""))
        if named.startswith("@"):
            found = [i for i, c in self.channels.items() if c["username"].lower() == named[1:].lower()]
            if not found:
                raise BotApiError(400, "Bad Request: chat not found")
            params = {**params, "chat_id": found[0]}
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise BotApiError(400, "Bad Request: chat_id is empty") from None
        if chat_id in self.channels and chat_id not in self.channel_admins:
            raise BotApiError(403, "Forbidden: bot is not a member of the channel chat")
        if chat_id in self.migrated:
            raise BotApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if chat_id in self.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing:
            raise BotApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_text(self, params: dict) -> str:
        html = params.get("text", "")
        plain = parse_html(html) if params.get("parse_mode") == "HTML" else html
        if not plain.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_length(plain) > 4096:
            raise BotApiError(400, "Bad Request: message is too long")
        check_markup(params.get("reply_markup"))
        return plain

    def _enforce_limits(self, chat_id: int, paid: bool) -> None:
        """Per chat always; overall 30 free messages in any second, or 1,000 with a paid broadcast."""
        now = time.monotonic()
        for times in (self._send_times, self._paid_times):
            while times and now - times[0] >= 1.0:
                times.popleft()
        chat_times = self._chat_times[chat_id]
        window = 60.0 if chat_id < 0 else self.limits.per_chat_interval
        while chat_times and now - chat_times[0] >= window:
            chat_times.popleft()
        too_many_in_chat = len(chat_times) >= (self.limits.per_group_minute if chat_id < 0 else 1)
        if paid:
            too_many = len(self._send_times) + len(self._paid_times) >= self.limits.paid_per_second
        else:
            too_many = len(self._send_times) >= self.limits.per_second
        if too_many or too_many_in_chat:
            raise BotApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        (self._paid_times if paid else self._send_times).append(now)
        chat_times.append(now)

    def _chat_of(self, chat_id: int) -> dict:
        return self.chats.get(chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"})

    def _record(self, method: str, params: dict, chat_id: int, message_id: int, plain: str) -> dict:
        with self.condition:
            self.sent.append(Sent(method, chat_id, message_id, params.get("text", ""), plain, params))
            self.condition.notify_all()
        chat = self._chat_of(chat_id)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": plain,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def send_message(self, params: dict) -> dict:
        if self.hold_after is not None and len(self.sent_messages()) >= self.hold_after:
            while self.hold_after is not None and not self.closing:
                time.sleep(0.01)
            raise BotApiError(500, "Internal Server Error: held, then dropped undelivered")
        chat_id = self._chat(params)
        plain = self._check_text(params)
        with self.condition:
            if self.scripted:
                raise self.scripted.popleft()
            if self.limits is not None:
                self._enforce_limits(chat_id, str(params.get("allow_paid_broadcast")).lower() == "true")
        return self._record("sendMessage", params, chat_id, self._message_id(), plain)

    def edit_message_text(self, params: dict) -> dict:
        chat_id = self._chat(params)
        plain = self._check_text(params)
        return self._record("editMessageText", params, chat_id, int(params["message_id"]), plain)

    def edit_reply_markup(self, params: dict) -> dict:
        chat_id = self._chat(params)
        check_markup(params.get("reply_markup"))
        previous = next(s for s in reversed(self.sent) if s.message_id == int(params["message_id"]))
        return self._record(
            "editMessageReplyMarkup",
            {**previous.params, **params},
            chat_id,
            previous.message_id,
            previous.text,
        )

    def answer_callback(self, params: dict) -> bool:
        query_id = params.get("callback_query_id", "")
        if query_id in self.answers:
            raise BotApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text", "")) > 200:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        with self.condition:
            self.answers[query_id] = params
            self.condition.notify_all()
        return True

    def answer_inline(self, params: dict) -> bool:
        """Refused, as by Telegram, when the query is unknown, answered already or older than 10 s."""
        query_id = params.get("inline_query_id", "")
        asked = self.inline_asked.get(query_id)
        late = asked is None or time.monotonic() - asked > self.inline_timeout
        if late or query_id in self.inline_answers:
            raise BotApiError(400, STALE_QUERY)
        results = params.get("results") or []
        ids = [str(result.get("id", "")) for result in results]
        if len(results) > 50:
            raise BotApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        if len(set(ids)) != len(ids):
            raise BotApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result, result_id in zip(results, ids, strict=True):
            if not 1 <= len(result_id.encode()) <= 64 or result.get("type") != "article":
                raise BotApiError(400, "Bad Request: RESULT_ID_INVALID")
            if not result.get("title"):
                raise BotApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
            content = result.get("input_message_content") or {}
            self._check_text(
                {"text": content.get("message_text", ""), "parse_mode": content.get("parse_mode")}
            )
            check_markup(result.get("reply_markup"))
        with self.condition:
            self.inline_answers[query_id] = {**params, "results": results}
            self.condition.notify_all()
        return True

    def get_chat_member(self, params: dict) -> dict:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = self.members.get((chat_id, user_id), "member")
        member = {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}}
        if status == "creator":
            member["is_anonymous"] = False
        if status == "administrator":
            rights = [
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ]
            member.update(dict.fromkeys(rights, False))
        return member

    def get_updates(self, params: dict) -> list[dict]:
        if self.webhook.url is not None:
            raise BotApiError(409, CONFLICT)
        offset = int(params.get("offset", 0) or 0)
        deadline = time.monotonic() + min(float(params.get("timeout", 0) or 0), 5.0)
        with self.condition:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            while not self.pending and not self.closing and time.monotonic() < deadline:
                self.condition.wait(timeout=0.05)
            return list(self.pending[: int(params.get("limit", 100) or 100)])

    def set_my_commands(self, params: dict) -> bool:
        self.commands[params.get("language_code")] = params["commands"]
        return True

    def call(self, method: str, params: dict) -> object:
        simple = {
            "getMe": BOT_USER,
            "close": True,
            "logOut": True,
            "sendChatAction": True,
            "deleteMyCommands": True,
        }
        if method in simple:
            return simple[method]
        handlers = {
            "getUpdates": self.get_updates,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_reply_markup,
            "answerCallbackQuery": self.answer_callback,
            "answerInlineQuery": self.answer_inline,
            "getChatMember": self.get_chat_member,
            "setMyCommands": self.set_my_commands,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.webhook.delete,
            "getWebhookInfo": self.webhook.info,
        }
        if method not in handlers:
            raise BotApiError(404, "Not Found: method not found")
        return handlers[method](params)

    def set_webhook(self, params: dict) -> bool:
        try:
            return self.webhook.set(params)
        except ValueError as refused:
            raise BotApiError(400, str(refused)) from None

    def __exit__(self, *exc: object) -> None:
        self.closing = True
        with self.condition:
            self.condition.notify_all()
        self.webhook.join()
        super().__exit__(*exc)

    # -- waiting, for the tests ----------------------------------------------------------------------

    def handled(self, update_id: int) -> None:
        """The bot under test finished handling ``update_id`` (its last handler group ran)."""
        with self.condition:
            self._handled.add(update_id)
            self.condition.notify_all()

    def is_handled(self, update_id: int) -> bool:
        """True once the bot reported ``update_id`` handled; always True for a bot that does not report."""
        return not self.reports_handling or update_id in self._handled

    def wait_for(self, predicate, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.condition.wait(timeout=min(remaining, 0.05))
        return True

    def sent_messages(self) -> list[Sent]:
        """Every message sent (not edits)."""
        return [s for s in self.sent if s.method == "sendMessage"]

    def to_chat(self, chat_id: int, method: str = "sendMessage") -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id and s.method == method]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle on, the second waits for the client's
            # delayed ACK (40 ms), which capped a keep-alive connection at about 20 requests a second.
            disable_nagle_algorithm = True

            def handle_one_request(self) -> None:
                """http.server's, the headers read with a split: its email parser took half of the time
                of a request, and made this server the ceiling of a fan-out benchmark."""
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline:
                    self.close_connection = True
                    return
                self.requestline = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
                self.command, self.path, self.request_version = self.requestline.split(" ", 2)
                self.headers = _read_headers(self.rfile)
                connection = self.headers.get("connection", "").lower()
                keep_alive = self.request_version == "HTTP/1.1" or connection == "keep-alive"
                self.close_connection = connection == "close" or not keep_alive
                handler = getattr(self, f"do_{self.command}", None)
                if handler is None:
                    self.send_error(501, f"Unsupported method ({self.command!r})")
                    return
                handler()
                self.wfile.flush()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))  # read even when refused
                token, _, method = self.path.removeprefix("/bot").partition("/")
                server.calls.append(method)
                try:
                    if token != TOKEN or server.rejecting:
                        raise BotApiError(401, "Unauthorized")
                    params = _params(body, self.headers.get("Content-Type", ""))
                    self._answer(200, {"ok": True, "result": server.call(method, params)})
                except BotApiError as error:
                    server.errors.append((method, error.code, error.description))
                    body = {"ok": False, "error_code": error.code, "description": error.description}
                    if error.parameters:
                        body["parameters"] = error.parameters
                    self._answer(error.code, body)

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client is gone
                    self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        return Handler


class _Headers(dict):
    """Request headers by lower-cased name; ``get`` takes any case."""

    def get(self, name: str, default: str | None = None) -> str | None:
        return super().get(name.lower(), default)


def _read_headers(stream) -> _Headers:
    headers = _Headers()
    while (line := stream.readline(65537)) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("iso-8859-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def _params(body: bytes, content_type: str) -> dict:
    """Form or JSON parameters, nested values (reply_markup, ...) decoded from their JSON strings."""
    if "json" in content_type:
        return json.loads(body or b"{}")
    params = {
        key: values[-1] for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
    }
    for key in _JSON_FIELDS & params.keys():
        params[key] = json.loads(params[key])
    return params
