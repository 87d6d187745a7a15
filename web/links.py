"""Links and redirects: paths inside pages, absolute URLs on PUBLIC_URL, never on the Host header."""

from typing import Any

from jinja2 import pass_context
from starlette.requests import Request


def public_base(request: Request) -> str:
    """PUBLIC_URL without its trailing slash."""
    return request.app.state.config.public_url.rstrip("/")


def path_for_route(request: Request, name: str, **params: Any) -> str:
    """The root-relative path of route ``name``."""
    return str(request.app.url_path_for(name, **params))


def public_link(request: Request, name: str, query: str = "", **params: Any) -> str:
    """The absolute URL of route ``name`` on PUBLIC_URL, with ``query`` when there is one."""
    path = str(request.app.url_path_for(name, **params))
    return public_base(request) + path + (f"?{query}" if query else "")


@pass_context
def path_for(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """``url_for`` in templates: a root-relative path, so no link depends on the Host a client sent."""
    return str(context["request"].app.url_path_for(name, **params))
