"""Volatile fragments that are not policy content: removed before texts are compared or stored."""

import re
import time
from functools import lru_cache

import regex

from scraping.errors import ExtractError

# Each rule removes a fragment of a line; a line left empty disappears with it.
DEFAULT_RULES = [
    # relative dates: "3 days ago", "3天前", "刚刚", "5分钟前"
    r"\b\d+\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b",
    r"\d+\s*(?:秒|分钟|小时|天|周|个月|年)前|刚刚",
    # visitor and read counters: "阅读量: 12345", "浏览次数 88", "12,345 views"; a count starts with a digit
    # and the English words are whole words ("Plainview, New York", "users, visitors" are not counters)
    r"(?:阅读量|阅读数|浏览量|浏览次数|访问量|访问次数|点击量|\b(?:visits?|views?|visitors?)\b)\s*[::]?\s*\d[\d,]*",
    r"\d[\d,]*\s*(?:次阅读|次浏览|人浏览|views|visits|visitors)\b",
    # timestamps with a time of day (stated dates of a policy carry none)
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
    # tokens: CSRF, nonces, request ids (long runs of hex or base64 characters)
    r"(?:csrf|xsrf|token|nonce|request[-_ ]?id|trace[-_ ]?id)\s*[:=]\s*\S+",
    r"\b[0-9a-f]{32,}\b",
    r"\b(?=[A-Za-z0-9+/_-]{32})(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Z])(?=[A-Za-z0-9+/_-]*[a-z])"
    r"[A-Za-z0-9+/_-]{32,}={0,2}",
]

_DEFAULT = re.compile("|".join(f"(?:{rule})" for rule in DEFAULT_RULES), re.IGNORECASE)
# Lines without a digit or 刚刚 (most of a policy) are left as they are, quickly. Every rule needs one of
# them except the token and hex rules, and random tokens and hashes of 32 characters all but always hold a
# digit: a line whose only noise is a digit-free token keeps it (changing that would change extraction).
_MAY_BE_NOISE = re.compile(r"\d|刚刚")
# Seconds a document's own ``ignore`` patterns may take on one page: the catalog's patterns are not ours,
# and one that backtracks catastrophically, like (a|aa)+$, must fail its check, not hang it.
IGNORE_TIME_LIMIT = 1.0


@lru_cache(maxsize=256)
def compile_ignore(extra: tuple[str, ...] = ()) -> regex.Pattern[str] | None:
    """A document's own ``ignore`` patterns as one pattern (None when it has none), run with a time limit."""
    return regex.compile("|".join(f"(?:{rule})" for rule in extra)) if extra else None


def _strip_line(line: str, extra: regex.Pattern[str] | None, deadline: float) -> str:
    cleaned = _DEFAULT.sub("", line) if _MAY_BE_NOISE.search(line) else line
    return extra.sub("", cleaned, timeout=max(deadline - time.monotonic(), 0.001)) if extra else cleaned


def _stripped_lines(text: str, extra: regex.Pattern[str] | None, time_limit: float) -> list[tuple[str, str]]:
    """Each line with its stripped form; an ExtractError when ``extra`` takes over ``time_limit`` seconds."""
    deadline = time.monotonic() + time_limit
    try:
        return [(line, _strip_line(line, extra, deadline)) for line in text.split("\n")]
    except TimeoutError:
        pattern = extra.pattern if extra else ""
        raise ExtractError(
            f"the catalog's ignore patterns took over {time_limit:g} s on this page (they backtrack too much;"
            f" simplify them): {pattern[:200]}"
        ) from None


def strip_noise(
    text: str, extra: regex.Pattern[str] | None = None, time_limit: float = IGNORE_TIME_LIMIT
) -> str:
    """``text`` without volatile fragments (default rules and ``extra``); lines left empty are dropped."""
    kept = []
    for line, cleaned in _stripped_lines(text, extra, time_limit):
        if cleaned != line:
            cleaned = " ".join(cleaned.split())
        if cleaned or not line:
            kept.append(cleaned)
    return "\n".join(kept)
