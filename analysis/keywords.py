"""Keyword watch: what a keyword is, and which added or removed sentences of a change mention it.

A keyword is compared after NFKC (full-width and half-width forms alike) and without case. One with
a Chinese, Japanese or Korean character matches anywhere (Chinese has no spaces between words); any
other matches as a whole word (``ads`` is not in ``loads``; an ``s`` plural is the same word, and the
words of ``third party`` may be joined by a space or a hyphen). The suggested keywords have a Chinese
and an English form, and watching either form watches both.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from html import escape

from analysis.diff import Diff, RowKind

MAX_KEYWORD_CHARS = 50
MAX_WATCHES = 20
QUOTE_CHARS = 240  # a quoted sentence is cut around the keyword to about this many characters

# The suggestions /watch offers, Chinese form first; each form stands for both.
SUGGESTED: tuple[tuple[str, str], ...] = (
    ("人脸", "face"),
    ("生物识别", "biometric"),
    ("精确位置", "precise location"),
    ("通讯录", "contacts"),
    ("跨境", "cross-border"),
    ("未成年", "minor"),
    ("sdk", "sdk"),
    ("第三方", "third party"),
    ("广告", "advertising"),
    ("画像", "profiling"),
)
_PARTNER = {a: b for a, b in SUGGESTED} | {b: a for a, b in SUGGESTED}

_SENTENCE_END = re.compile(r"(?<=[。!?;;!?])|(?<=[.](?=\s))")
_WORD_CHAR = r"[^\W_]"


class KeywordProblem(StrEnum):
    """Why a text cannot be a keyword (the i18n key ``bot.watch_bad_<value>`` says it to people)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    PUNCTUATION = "punctuation"
    MARKUP = "markup"


class KeywordError(ValueError):
    def __init__(self, problem: KeywordProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def normalize_keyword(text: str) -> str:
    """The stored form of a keyword: NFKC, lower case, single spaces; raises KeywordError when unfit."""
    keyword = " ".join(unicodedata.normalize("NFKC", text).split()).lower()
    if not keyword:
        raise KeywordError(KeywordProblem.EMPTY)
    if len(keyword) > MAX_KEYWORD_CHARS:
        raise KeywordError(KeywordProblem.TOO_LONG)
    if "<" in keyword or ">" in keyword or re.search(r"&#?\w+;", keyword):
        raise KeywordError(KeywordProblem.MARKUP)
    if not any(c.isalnum() for c in keyword):
        raise KeywordError(KeywordProblem.PUNCTUATION)
    return keyword


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA"))


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """The pattern of a keyword and of its suggested partner, if it has one."""
    forms = [keyword, *([_PARTNER[keyword]] if keyword in _PARTNER else [])]
    return re.compile("|".join(f"(?:{_form_pattern(form)})" for form in forms), re.IGNORECASE)


def _form_pattern(keyword: str) -> str:
    if any(_is_cjk(c) for c in keyword):
        return re.escape(keyword)
    words = [re.escape(word) for word in re.split(r"[\s\-]+", keyword) if word]
    body = r"[\s\-]+".join(words)
    return rf"(?<!{_WORD_CHAR}){body}(?:e?s)?(?!{_WORD_CHAR})"


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut after each sentence end (。!?; and a full stop before a space), kept whole."""
    return [part.strip() for part in _SENTENCE_END.split(paragraph) if part.strip()]


class Side(StrEnum):
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Hit:
    """A sentence the change added or removed that mentions the keyword."""

    keyword: str
    side: Side
    sentence: str


def changed_sentences(diff: Diff) -> list[tuple[Side, str]]:
    """The sentences the change added or removed, in the order of the document (each once)."""
    found: list[tuple[Side, str]] = []
    for row in diff.changes:
        old = sentences(row.old_text) if row.kind in (RowKind.DELETED, RowKind.MODIFIED) else []
        new = sentences(row.new_text) if row.kind in (RowKind.ADDED, RowKind.MODIFIED) else []
        found += [(Side.REMOVED, s) for s in old if s not in new]
        found += [(Side.ADDED, s) for s in new if s not in old]
    return list(dict.fromkeys(found))


def keyword_hits(changed: list[tuple[Side, str]], keyword: str) -> list[Hit]:
    """The changed sentences that mention ``keyword`` (or its partner)."""
    pattern = keyword_pattern(keyword)
    return [Hit(keyword, side, sentence) for side, sentence in changed if pattern.search(sentence)]


def quote(hit: Hit, limit: int = QUOTE_CHARS) -> str:
    """The sentence as Telegram HTML: escaped, the keyword in bold, cut around its first mention."""
    pattern = keyword_pattern(hit.keyword)
    text = unicodedata.normalize("NFKC", hit.sentence)
    first = pattern.search(text)
    start = 0
    if first is not None and len(text) > limit:
        start = max(0, min(first.start() - limit // 3, len(text) - limit))
    shown = text[start : start + limit]
    pieces, at = [], 0
    for match in pattern.finditer(shown):
        pieces += [escape(shown[at : match.start()]), f"<b>{escape(match.group())}</b>"]
        at = match.end()
    pieces.append(escape(shown[at:]))
    return ("…" if start else "") + "".join(pieces) + ("…" if start + limit < len(text) else "")
