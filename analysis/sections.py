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


def section_chains(lines: list[str]) -> list[tuple[str, ...]]:
    """For every line, the headings it falls under, outermost first: one pass, whatever the length.

    A heading closes every open heading of its level or deeper; the chain of line ``i`` is what is open
    when it starts (a heading line itself falls under the headings before it).
    """
    chains: list[tuple[str, ...]] = []
    open_headings: list[tuple[int, str]] = []  # (level, heading), levels strictly increasing
    for line in lines:
        chains.append(tuple(heading for _, heading in open_headings))
        level = heading_level(line)
        if level is not None:
            while open_headings and open_headings[-1][0] >= level:
                open_headings.pop()
            open_headings.append((level, line.strip()))
    return chains
