"""Which section a paragraph falls under: its headings, innermost last (三、… › (二)… › 极物商城)."""

import re

# Heading levels, outermost first: 第一章 / 一、 / (一) / 1. / a short unpunctuated line.
_LEVELS = [
    re.compile(r"^第[一二三四五六七八九十百\d]+[章节部分]"),
    re.compile(
        r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十百\d]+条|section\s+\d|part\s+\d)", re.I
    ),
    re.compile(r"^\([一二三四五六七八九十]+\)"),
    re.compile(r"^\d+(?:\.\d+)*[.、\s]"),
]
_SENTENCE_END = re.compile(r"[。;;,,.:!?!?]$")
_LABEL_VALUE = re.compile(r"[::]\s*\S")  # 更新日期:2025年… is a line of data, not a heading
MAX_HEADING_CHARS = 40
PLAIN_LEVEL = len(_LEVELS)


def heading_level(line: str) -> int | None:
    """The heading level of a line (0 outermost), or None when it is not a heading."""
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS or _LABEL_VALUE.search(line):
        return None
    for level, pattern in enumerate(_LEVELS):
        if pattern.match(line):
            return level
    return None if _SENTENCE_END.search(line) else PLAIN_LEVEL


def headings_above(lines: list[str], index: int) -> list[str]:
    """The headings line ``index`` (0-based) falls under, outermost first."""
    found: list[str] = []
    current = PLAIN_LEVEL + 1
    for line in reversed(lines[:index]):
        level = heading_level(line)
        if level is not None and level < current:
            found.append(line.strip())
            current = level
            if level == 0:
                break
    return found[::-1]
