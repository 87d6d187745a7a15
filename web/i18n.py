"""Which language a page is in: from ?lang=, then the lang cookie, then Accept-Language (words: i18n/)."""

from starlette.requests import Request

from i18n import LANGUAGES


def pick_language(request: Request) -> str:
    """``zh`` or ``en`` for this request."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"
