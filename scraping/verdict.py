"""Is an extracted text the policy? Error pages, walls and suspicious shrinks never become versions."""

import re
from dataclasses import dataclass

from analysis.language import document_language

# Only a short text can be an error page: real policies mention 验证码 or "sign in" too, at length.
SHORT_TEXT_CHARS = 2000
SHRINK_RATIO = 0.5
_ERROR_PAGE_MARKERS = {
    "captcha or anti-bot page": (
        r"验证码|人机验证|安全验证|滑动验证|拖动滑块|captcha|are you a robot|verify you are (?:a )?human|"
        r"just a moment|checking your browser|access denied|访问被拒绝|请求过于频繁|unusual traffic"
    ),
    "login page": (
        r"请登录|请先登录|登录后(?:查看|继续)|扫码登录|"
        r"sign in to continue|log in to continue|please (?:log|sign) in"
    ),
    "error page": (
        r"\b404\b|not found|页面不存在|页面找不到|找不到页面|服务器错误|系统繁忙|出错了|系统维护|维护中|"
        r"service unavailable|internal server error|bad gateway|\b50[0234]\b|"
        r"something went wrong|under maintenance"
    ),
}
_MARKERS = {reason: re.compile(pattern, re.IGNORECASE) for reason, pattern in _ERROR_PAGE_MARKERS.items()}


@dataclass(frozen=True)
class Verdict:
    """Why a text is not (yet) accepted as a version; ``is_error_page`` ones never will be."""

    reason: str
    is_error_page: bool


def judge_text(text: str, previous: str | None) -> Verdict | None:
    """None when ``text`` may be recorded; otherwise why not."""
    if len(text) < SHORT_TEXT_CHARS:
        for reason, marker in _MARKERS.items():
            if found := marker.search(text):
                return Verdict(f"{reason} ({found.group(0)!r} in a {len(text)}-character text)", True)
    if previous is None or text == previous:  # the same text again can neither shrink nor switch language
        return None
    if len(text) < SHRINK_RATIO * len(previous):
        return Verdict(f"the text shrank from {len(previous)} to {len(text)} characters", False)
    old_language, new_language = document_language(previous), document_language(text)
    if old_language != new_language:
        return Verdict(f"the text is in another language ({new_language}, was {old_language})", False)
    return None
