"""The route Telegram posts updates to in webhook mode: checked, bounded, stored in the inbox, answered.

Only the secret header is Telegram's business here: the body is stored as it came (a JSON object with an
integer ``update_id``) and handled later by the worker, whichever replica took it. Nothing of a refused
request is logged but its kind: never the header, never the body.
"""

import hmac
import json
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from storage.db import session_scope
from storage.inbox import Stored, store_update

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1024 * 1024  # Telegram's updates are a few KB (a message is at most 4,096 characters)
MAX_UPDATE_ID = 2**63 - 1  # the inbox column is a BIGINT

log = logging.getLogger(__name__)

WakeUp = Callable[[], None]


class RefusedUpdate(Exception):
    """A post that is not an update we store: its HTTP status and a short reason for the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def has_secret(request: Request, secret: str) -> bool:
    """The secret header, compared in constant time."""
    given = request.headers.get(SECRET_HEADER, "")
    return hmac.compare_digest(given.encode("latin-1"), secret.encode("latin-1"))


async def read_bounded(request: Request, limit: int = MAX_UPDATE_BYTES) -> bytes:
    """The body, refused as soon as it is announced or seen to be over ``limit`` bytes."""
    try:
        announced = int(request.headers.get("content-length", "0"))
    except ValueError:
        raise RefusedUpdate(400, "bad Content-Length") from None
    if announced > limit:
        raise RefusedUpdate(413, f"an update is at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RefusedUpdate(413, f"an update is at most {limit} bytes")
    return bytes(body)


def parse_update(body: bytes) -> tuple[int, str]:
    """The update's id and its JSON text: a UTF-8 JSON object whose ``update_id`` is an integer."""
    try:
        text = body.decode("utf-8")
        update = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RefusedUpdate(400, "not a JSON object") from None
    if not isinstance(update, dict):
        raise RefusedUpdate(400, "not a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id <= MAX_UPDATE_ID:
        raise RefusedUpdate(400, "no integer update_id")
    return update_id, text


def _store(request: Request, update_id: int, text: str) -> Stored:
    with session_scope(request.app.state.engine) as session:
        return store_update(session, update_id, text, request.app.state.config.webhook_max_pending)


async def receive_update(request: Request) -> Response:
    """Telegram's post: 403 without the secret, 413 over 1 MB, 400 for a non-update, 503 while the inbox is
    full, else stored and 200."""
    secret = request.app.state.config.webhook_secret
    if not secret or not has_secret(request, secret):
        log.debug("refused a webhook post without the right secret header")
        return PlainTextResponse("forbidden", status_code=403)
    try:
        update_id, text = parse_update(await read_bounded(request))
    except RefusedUpdate as refused:
        log.debug("refused a webhook post: %s", refused.reason)
        return PlainTextResponse(refused.reason, status_code=refused.status)
    stored = await run_in_threadpool(_store, request, update_id, text)
    if stored is Stored.FULL:
        log.warning("the webhook inbox is full: Telegram is asked to post updates again later")
        return PlainTextResponse("inbox full", status_code=503, headers={"Retry-After": "10"})
    if stored is Stored.NEW:
        wake: WakeUp | None = request.app.state.on_update
        if wake is not None:
            wake()
    else:
        log.debug("update %d was posted again: stored once already", update_id)
    return Response(status_code=200)
