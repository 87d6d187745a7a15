"""Sections: each line's chain of headings, the same as scanning back from it, in one pass."""

from hypothesis import given
from hypothesis import strategies as st

from analysis.sections import PLAIN_LEVEL, heading_level, section_chains
from tests.pages import CHANGED_LINE, SEED_NEW, seed_text


def scanned_back(lines: list[str], index: int) -> tuple[str, ...]:
    """The obvious definition: walk up from the line, keeping each heading outer to the last one kept."""
    found: list[str] = []
    current = PLAIN_LEVEL + 1
    for line in reversed(lines[:index]):
        level = heading_level(line)
        if level is not None and level < current:
            found.append(line.strip())
            current = level
    return tuple(reversed(found))


def test_the_seed_change_lies_under_its_sections():
    lines = seed_text(SEED_NEW).split("\n")
    assert section_chains(lines)[CHANGED_LINE - 1][-1] == "极物商城"


KINDS_OF_LINE = ["第一章 总则", "一、收集", "二、使用", "(一)设备信息", "1. 位置", "极物商城", "正文。", ""]
LINES = st.lists(st.sampled_from(KINDS_OF_LINE), max_size=40)


@given(LINES)
def test_every_chain_is_what_scanning_back_finds(lines):
    assert section_chains(lines) == [scanned_back(lines, index) for index in range(len(lines))]
