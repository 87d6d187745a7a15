"""The diff model: paragraphs (lines) of two versions aligned, modified pairs marked inside.

Pure and deterministic. The work is bounded: lines are aligned with difflib (no autojunk, so a long
Chinese policy does not report phantom changes), replaced blocks are paired only where lines are
alike, and the intra-line diff (diff-match-patch with semantic cleanup) has a per-pair time limit
and skips pairs that share almost nothing: those show as a deletion plus an addition.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import StrEnum
from functools import cached_property
from itertools import groupby
from os.path import commonprefix
from typing import NamedTuple

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz

from analysis.entities import company_spans

# Two lines are a "modified" pair when at least this alike (0-100, rapidfuzz's normalized Indel).
PAIR_SIMILARITY = 50
# Replaced blocks up to this many candidate pairs get a best-match pairing; larger ones pair in order.
BEST_MATCH_BUDGET = 400
MAX_INLINE_CHARS = 20_000
INLINE_TIMEOUT_SECONDS = 0.05
# Latin words, digit runs and whitespace runs are single tokens; every other character (CJK) is one.
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:['’-][A-Za-z0-9_]+)*|\s+|.", re.DOTALL)
_WORD = re.compile(r"[A-Za-z0-9_]")
_FIRST_TOKEN_CHAR = 0xF0000  # a private-use plane: tokens are diffed as one character each


class RowKind(StrEnum):
    EQUAL = "equal"
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"


class Span(NamedTuple):
    """A piece of a line; ``changed`` pieces are highlighted."""

    text: str
    changed: bool = False


class Row(NamedTuple):
    """One line of the side-by-side table; line numbers are 1-based, None where a side has no line.

    A tuple rather than a dataclass: a long policy makes thousands of rows, and tuples are cheap.
    """

    kind: RowKind
    old_no: int | None
    new_no: int | None
    old: tuple[Span, ...] = ()
    new: tuple[Span, ...] = ()
    moved: bool = False

    @property
    def old_text(self) -> str:
        return "".join(span.text for span in self.old)

    @property
    def new_text(self) -> str:
        return "".join(span.text for span in self.new)

    @property
    def is_change(self) -> bool:
        return self.kind is not RowKind.EQUAL


@dataclass(frozen=True)
class DiffStats:
    paragraphs_added: int = 0
    paragraphs_deleted: int = 0
    paragraphs_modified: int = 0
    chars_inserted: int = 0
    chars_deleted: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.paragraphs_added or self.paragraphs_deleted or self.paragraphs_modified)


@dataclass(frozen=True)
class Segment:
    """A run of rows to show, or (``collapsed``) a run of unchanged rows to fold away."""

    rows: tuple[Row, ...]
    collapsed: bool = False


@dataclass(frozen=True)
class Diff:
    rows: tuple[Row, ...]
    stats: DiffStats = field(default_factory=DiffStats)

    @cached_property
    def changes(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.is_change)

    def segments(self, context: int = 3) -> list[Segment]:
        """The rows, with long unchanged runs collapsed but ``context`` lines kept next to each change."""
        segments: list[Segment] = []
        start = 0
        while start < len(self.rows):
            end = start
            is_equal = not self.rows[start].is_change
            while end < len(self.rows) and (not self.rows[end].is_change) == is_equal:
                end += 1
            run = self.rows[start:end]
            keep_before = context if start > 0 else 0
            keep_after = context if end < len(self.rows) else 0
            if is_equal and len(run) > keep_before + keep_after + 1:
                _append(segments, run[:keep_before])
                segments.append(Segment(run[keep_before : len(run) - keep_after], collapsed=True))
                _append(segments, run[len(run) - keep_after :])
            else:
                _append(segments, run)
            start = end
        return segments


def _append(segments: list[Segment], rows: tuple[Row, ...]) -> None:
    if not rows:
        return
    if segments and not segments[-1].collapsed:
        segments[-1] = Segment(segments[-1].rows + rows)
    else:
        segments.append(Segment(rows))


def _tokens_as_chars(old: str, new: str) -> tuple[str, str, list[str]] | None:
    """Each distinct token becomes one character, so diff-match-patch diffs tokens, not letters."""
    vocabulary: dict[str, str] = {}
    tokens: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for token in _TOKEN.findall(text):
            if token not in vocabulary:
                vocabulary[token] = chr(_FIRST_TOKEN_CHAR + len(tokens))
                tokens.append(token)
            chars.append(vocabulary[token])
        return "".join(chars)

    encoded = encode(old), encode(new)
    return None if len(tokens) > 0xFFFD else (*encoded, tokens)


def _shared_ends(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common start and end of two lines, never cutting through a Latin word."""
    head = len(commonprefix([old, new]))  # noqa: RUF071 - character by character is the point
    while head and _WORD.match(old, head - 1) and (_WORD.match(old, head) or _WORD.match(new, head)):
        head -= 1
    limit = min(len(old), len(new)) - head
    tail = 0
    while tail < limit and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    while (
        tail
        and _WORD.match(old, len(old) - tail)
        and (_WORD.match(old, len(old) - tail - 1) or _WORD.match(new, len(new) - tail - 1))
    ):
        tail -= 1
    return head, tail


def _diff_tokens(old: str, new: str) -> tuple[list[Span], list[Span]]:
    """diff-match-patch over tokens, with its semantic cleanup."""
    encoded = _tokens_as_chars(old, new) if len(old) + len(new) <= MAX_INLINE_CHARS else None
    if encoded is None:
        return [Span(old, True)], [Span(new, True)]
    old_chars, new_chars, tokens = encoded
    engine = diff_match_patch()
    engine.Diff_Timeout = INLINE_TIMEOUT_SECONDS
    diffs = engine.diff_main(old_chars, new_chars, False)
    engine.diff_cleanupSemantic(diffs)
    old_spans: list[Span] = []
    new_spans: list[Span] = []
    for operation, chars in diffs:
        text = "".join(tokens[ord(char) - _FIRST_TOKEN_CHAR] for char in chars)
        if operation <= 0:
            old_spans.append(Span(text, operation < 0))
        if operation >= 0:
            new_spans.append(Span(text, operation > 0))
    return old_spans, new_spans


def inline_diff(old: str, new: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The changed spans inside a modified pair: characters for CJK, words for Latin text."""
    head, tail = _shared_ends(old, new)  # only the middle needs tokens and diff-match-patch
    old_spans, new_spans = _diff_tokens(old[head : len(old) - tail], new[head : len(new) - tail])
    start, end = [Span(old[:head])] if head else [], [Span(old[len(old) - tail :])] if tail else []
    return _widen_to_entities([*start, *old_spans, *end]), _widen_to_entities([*start, *new_spans, *end])


def _widen_to_entities(spans: list[Span]) -> tuple[Span, ...]:
    """A change inside a company name highlights the whole name (a rename reads as one)."""
    text = "".join(span.text for span in spans)
    changed = [span.changed for span in spans for _ in span.text]
    touched = [(start, end) for start, end in company_spans(text) if any(changed[start:end])]
    if not touched:
        return tuple(spans)
    for start, end in touched:
        changed[start:end] = [True] * (end - start)
    widened, position = [], 0
    for flag, run in groupby(changed):
        length = sum(1 for _ in run)
        widened.append(Span(text[position : position + length], flag))
        position += length
    return tuple(widened)


def _pairs(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Which lines of a replaced block are edits of each other, in order (indexes into the block)."""
    if len(old) * len(new) > BEST_MATCH_BUDGET:
        candidates = zip(range(len(old)), range(len(new)), strict=False)
        return [(i, j) for i, j in candidates if fuzz.ratio(old[i], new[j]) >= PAIR_SIMILARITY]
    pairs: list[tuple[int, int]] = []
    next_new = 0
    for i, line in enumerate(old):
        scores = [(fuzz.ratio(line, new[j]), j) for j in range(next_new, len(new))]
        best = max(scores, default=(0.0, -1), key=lambda item: (item[0], -item[1]))
        if best[0] >= PAIR_SIMILARITY:
            pairs.append((i, best[1]))
            next_new = best[1] + 1
    return pairs


def _paired_row(old: str, new: str, old_no: int, new_no: int) -> Row:
    if old == new:  # blank lines cannot anchor difflib's matches, so they can land in a replaced block
        return _equal_rows([old], old_no - 1, new_no - 1)[0]
    old_spans, new_spans = inline_diff(old, new)
    return Row(RowKind.MODIFIED, old_no, new_no, old_spans, new_spans)


def _replaced_rows(old: list[str], new: list[str], old_start: int, new_start: int) -> list[Row]:
    rows: list[Row] = []
    i = j = 0
    for pair_i, pair_j in [*_pairs(old, new), (len(old), len(new))]:
        rows += [
            Row(RowKind.DELETED, old_start + k + 1, None, old=(Span(old[k], True),)) for k in range(i, pair_i)
        ]
        rows += [
            Row(RowKind.ADDED, None, new_start + k + 1, new=(Span(new[k], True),)) for k in range(j, pair_j)
        ]
        if pair_i < len(old):
            rows.append(_paired_row(old[pair_i], new[pair_j], old_start + pair_i + 1, new_start + pair_j + 1))
        i, j = pair_i + 1, pair_j + 1
    return rows


def _mark_moves(rows: list[Row]) -> list[Row]:
    """A paragraph deleted in one place and added unchanged in another is shown as moved."""
    deleted = Counter(row.old_text for row in rows if row.kind is RowKind.DELETED and row.old_text)
    added = Counter(row.new_text for row in rows if row.kind is RowKind.ADDED and row.new_text)
    moved = deleted & added
    return [
        Row(row.kind, row.old_no, row.new_no, row.old, row.new, moved=True)
        if (row.old_text if row.kind is RowKind.DELETED else row.new_text) in moved and row.kind in _ONE_SIDED
        else row
        for row in rows
    ]


_ONE_SIDED = (RowKind.ADDED, RowKind.DELETED)


def _stats(rows: list[Row]) -> DiffStats:
    kinds = Counter(row.kind for row in rows)
    return DiffStats(
        paragraphs_added=kinds[RowKind.ADDED],
        paragraphs_deleted=kinds[RowKind.DELETED],
        paragraphs_modified=kinds[RowKind.MODIFIED],
        chars_inserted=sum(len(span.text) for row in rows for span in row.new if span.changed),
        chars_deleted=sum(len(span.text) for row in rows for span in row.old if span.changed),
    )


_MIRRORED_KIND = {RowKind.ADDED: RowKind.DELETED, RowKind.DELETED: RowKind.ADDED}


def _mirrored(row: Row) -> Row:
    return Row(_MIRRORED_KIND.get(row.kind, row.kind), row.new_no, row.old_no, row.new, row.old, row.moved)


def build_diff(old: str, new: str) -> Diff:
    """Align two texts paragraph by paragraph and mark what changed inside modified paragraphs.

    difflib breaks ties by position, so it can align a pair differently once swapped; aligning in one
    canonical order and mirroring makes comparing B with A read exactly as A with B, sides swapped.
    """
    if old > new:
        rows = _deletions_first([_mirrored(row) for row in _aligned_rows(new, old)])
    else:
        rows = _aligned_rows(old, new)
    return Diff(tuple(rows), _stats(rows))


def _deletions_first(rows: list[Row]) -> list[Row]:
    """Within each run of one-sided rows, deletions before additions, as the side-by-side table reads."""
    ordered: list[Row] = []
    for is_one_sided, run in groupby(rows, key=lambda row: row.kind in _ONE_SIDED):
        block = list(run)
        ordered += sorted(block, key=lambda row: row.kind is RowKind.ADDED) if is_one_sided else block
    return ordered


def _is_blank(line: str) -> bool:
    return not line.strip()


def _equal_rows(lines: list[str], old_start: int, new_start: int) -> list[Row]:
    rows = []
    for k, line in enumerate(lines):
        spans = (Span(line),)  # one tuple for both sides: the table renders it once
        rows.append(Row(RowKind.EQUAL, old_start + k + 1, new_start + k + 1, spans, spans))
    return rows


def _common_ends(old_lines: list[str], new_lines: list[str]) -> tuple[int, int]:
    """How many lines the texts share at the start, and then at the end."""
    limit = min(len(old_lines), len(new_lines))
    head = 0
    while head < limit and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while tail < limit - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
        tail += 1
    return head, tail


def _aligned_rows(old: str, new: str) -> list[Row]:
    old_lines, new_lines = old.split("\n"), new.split("\n")
    # Most changes touch a few lines: the common start and end need no alignment.
    head, tail = _common_ends(old_lines, new_lines)
    old_middle, new_middle = old_lines[head : len(old_lines) - tail], new_lines[head : len(new_lines) - tail]
    rows = _equal_rows(old_lines[:head], 0, 0)
    # Blank lines cannot start a match (they may extend one): hundreds of them would make difflib quadratic.
    matcher = SequenceMatcher(_is_blank, old_middle, new_middle, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += _equal_rows(old_middle[i1:i2], head + i1, head + j1)
        else:
            rows += _replaced_rows(old_middle[i1:i2], new_middle[j1:j2], head + i1, head + j1)
    rows += _equal_rows(old_lines[len(old_lines) - tail :], len(old_lines) - tail, len(new_lines) - tail)
    return _mark_moves(rows)
