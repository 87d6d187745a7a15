"""A version's page with line anchors (``#L118``), and asking a platform's privacy policy a question.

The version page is read in a worker thread like every page. The answer page reads the platform and its
current version in a worker thread, then awaits the answer (``AskSource``: ``alerts.ask.AskService`` in
`policywatch run`, which may call the model within the per-person limit and the daily budget; without it,
search results only).
"""

import asyncio
from typing import Protocol

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from analysis.ask import MAX_QUESTION_CHARS, Answer, PolicyIndex, question_language, search_answer
from storage.db import row_id
from storage.models import Document, Platform, Version
from storage.timeline import timeline
from storage.versions import documents_of
from web.pages import render, version_story
from web.queries import document_by_path, platform_by_slug, version_of


class AskSource(Protocol):
    """Answers to questions about a version (``alerts.ask.AskService``)."""

    async def answer(self, version: Version, question: str, use_model: bool = True) -> Answer:
        """The answer from ``version``; the model's only when ``use_model``."""
        ...

    def may_use_model(self, asker: str) -> bool:
        """Count one question of ``asker``; False past their hourly limit (then: search results only)."""
        ...


class SearchOnly:
    """Search results without a model, for an app built without an AskSource."""

    async def answer(self, version: Version, question: str, use_model: bool = True) -> Answer:
        index = await asyncio.to_thread(PolicyIndex, version.text)
        return await asyncio.to_thread(search_answer, index, question, question_language(question))

    def may_use_model(self, asker: str) -> bool:
        return False


def version_page(request: Request) -> Response:
    """A version's text, one numbered line per row, each with its anchor (``#L118``)."""
    with Session(request.app.state.engine) as session:
        found, document = document_by_path(session, request.path_params["slug"], request.path_params["kind"])
        version = version_of(session, document, request.path_params["version"])
    lines = list(enumerate(version.text.split("\n"), 1))
    context = {"platform": found, "document": document, "version": version, "lines": lines}
    return render(request, "version.html", {**context, **version_story(request, found, document, version)})


def _current(session: Session, slug: str) -> tuple[Platform, Document | None, Version | None]:
    """The platform, its privacy policy (its first document) and the version in force."""
    platform = platform_by_slug(session, slug)
    documents = documents_of(session, row_id(platform), include_retired=False)
    if not documents:
        return platform, None, None
    changes = timeline(session, row_id(documents[0]))
    return platform, documents[0], (changes[-1].version if changes else None)


def _read(request: Request) -> tuple[Platform, Document | None, Version | None]:
    with Session(request.app.state.engine) as session:
        return _current(session, request.path_params["slug"])


async def ask_page(request: Request) -> Response:
    """The answer to ``?q=`` from the platform's current privacy policy, with quotes linked to their lines."""
    async with request.app.state.page_slots:
        platform, document, version = await run_in_threadpool(_read, request)
    question = " ".join(request.query_params.get("q", "").split())
    context: dict[str, object] = {
        "platform": platform,
        "document": document,
        "version": version,
        "question": question[:MAX_QUESTION_CHARS],
        "answer": None,
        "error": None,
    }
    status = 200
    if version is None or document is None:
        context["error"] = "ask.no_version"
        status = 404
    elif not question:
        context["error"] = "ask.empty"
        status = 400
    elif len(question) > MAX_QUESTION_CHARS:
        context["error"] = "ask.too_long"
        status = 400
    else:
        source: AskSource = request.app.state.ask
        asker = f"web:{request.client.host if request.client else 'unknown'}"
        context["answer"] = await source.answer(version, question, source.may_use_model(asker))
    return await run_in_threadpool(render, request, "answer.html", context, status)
