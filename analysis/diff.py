"""The diff model: paragraphs (lines) of two versions aligned, modified pairs marked inside.

Pure and deterministic, and its work is bounded whatever the input: each costly step counts what it
examines against a budget (:class:`Work`) and, past it, takes a cheaper method. Lines are aligned with
difflib (no autojunk, so a long Chinese policy does not report phantom changes), or an exact LCS of
lines when difflib would cost too much, or, past that too, as one replaced block. Replaced blocks are
paired only where lines are alike (rapidfuzz, or their shared ends alone for lines too long for it),
and modified pairs are diffed by tokens (an LCS, tidied by diff-match-patch's semantic cleanup).
"""

import gc
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import Match, SequenceMatcher
from enum import StrEnum
from functools import cached_property
from itertools import accumulate, groupby, pairwise
from typing import Literal, NamedTuple

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Postfix, Prefix

from analysis.entities import company_spans

# Two lines are a "modified" pair when at least this alike (0-100, rapidfuzz's normalized Indel).
PAIR_SIMILARITY = 50
# Replaced blocks up to this many candidate pairs get a best-match pairing; larger ones pair in order.
BEST_MATCH_BUDGET = 400
MAX_INLINE_CHARS = 20_000
# What one diff may examine, in deterministic units; past a budget the step takes a cheaper method.
ALIGN_STEPS = 2_000_000  # difflib's candidate line matches (charged before each search)
ALIGN_CELLS = 300_000_000  # old × new lines for the exact LCS of lines (about 16,000 × 16,000)
SIMILARITY_CELLS = 1_000_000_000  # old × new characters rapidfuzz compares while pairing lines
INLINE_CELLS = 1_000_000_000  # old × new tokens the intra-line diffs compare
TOKEN_DIFFS = 10_000  # modified pairs diffed by tokens (each has a fixed cost in Python); more: middles whole
# Latin words, digit runs and whitespace runs are single tokens; every other character (CJK) is one.
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:['’-][A-Za-z0-9_]+)*|\s+|.", re.DOTALL)
_WORD = re.compile(r"[A-Za-z0-9_]")
_FIRST_TOKEN_CHAR = 0xF0000  # a private-use plane: tokens are diffed as one character each
_Tag = Literal["replace", "delete", "insert", "equal"]
_Block = tuple[_Tag, int, int, int, int]  # difflib's opcode: tag, old start, old end, new start, new end


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


@dataclass
class Meter:
    """A budget of work units: ``take`` spends an amount only when it fits."""

    limit: int
    used: int = 0

    def fits(self, amount: int) -> bool:
        """Whether ``amount`` more stays within the limit."""
        return self.used + amount <= self.limit

    def take(self, amount: int) -> bool:
        """Spend ``amount`` and say True, or spend nothing and say False when it would exceed the limit."""
        if not self.fits(amount):
            return False
        self.used += amount
        return True


@dataclass
class Work:
    """The budgets of one diff and what each used: deterministic, so tests can hold the bound."""

    align_steps: Meter = field(default_factory=lambda: Meter(ALIGN_STEPS))
    align_cells: Meter = field(default_factory=lambda: Meter(ALIGN_CELLS))
    similarity_cells: Meter = field(default_factory=lambda: Meter(SIMILARITY_CELLS))
    inline_cells: Meter = field(default_factory=lambda: Meter(INLINE_CELLS))
    token_diffs: Meter = field(default_factory=lambda: Meter(TOKEN_DIFFS))


@dataclass(frozen=True)
class Diff:
    rows: tuple[Row, ...]
    stats: DiffStats = field(default_factory=DiffStats)
    work: Work = field(default_factory=Work, compare=False, repr=False)

    @cached_property
    def changes(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.is_change)

    def segments(self, context: int = 3) -> list[Segment]:
        """The rows, with long unchanged runs collapsed but ``context`` lines kept next to each change."""
        segments: list[Segment] = []
        shown: list[Row] = []  # the rows of the open, uncollapsed segment (linear, however runs alternate)
        start = 0
        for is_change, group in groupby(self.rows, key=lambda row: row.is_change):
            run = tuple(group)
            end = start + len(run)
            keep_before = context if start > 0 else 0
            keep_after = context if end < len(self.rows) else 0
            if not is_change and len(run) > keep_before + keep_after + 1:
                shown += run[:keep_before]
                _close(segments, shown)
                segments.append(Segment(run[keep_before : len(run) - keep_after], collapsed=True))
                shown = list(run[len(run) - keep_after :])
            else:
                shown += run
            start = end
        _close(segments, shown)
        return segments


def _close(segments: list[Segment], shown: list[Row]) -> None:
    """Add the open rows (if any) as one uncollapsed segment."""
    if shown:
        segments.append(Segment(tuple(shown)))


def _tokens_as_chars(old: str, new: str) -> tuple[str, str, list[str]] | None:
    """Each distinct token becomes one character, so the diff compares tokens, not letters."""
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


def _affixes(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common start and end of two lines, not overlapping (linear, in C)."""
    head = Prefix.similarity(old, new)
    return head, Postfix.similarity(old[head:], new[head:])


def _shared_ends(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common start and end of two lines, never cutting through a Latin word."""
    head, tail = _affixes(old, new)
    while head and _WORD.match(old, head - 1) and (_WORD.match(old, head) or _WORD.match(new, head)):
        head -= 1
    while (
        tail
        and _WORD.match(old, len(old) - tail)
        and (_WORD.match(old, len(old) - tail - 1) or _WORD.match(new, len(new) - tail - 1))
    ):
        tail -= 1
    return head, tail


def _token_diffs(old_chars: str, new_chars: str) -> list[tuple[int, str]]:
    """The tokens' longest common subsequence (rapidfuzz) as diff-match-patch's (operation, text) list."""
    diffs: list[tuple[int, str]] = []
    for op in Indel.opcodes(old_chars, new_chars):
        if op.tag in ("delete", "replace"):
            diffs.append((-1, old_chars[op.src_start : op.src_end]))
        if op.tag in ("insert", "replace"):
            diffs.append((1, new_chars[op.dest_start : op.dest_end]))
        if op.tag == "equal":
            diffs.append((0, old_chars[op.src_start : op.src_end]))
    return diffs


def _whole(text: str) -> list[Span]:
    return [Span(text, True)] if text else []


def _affords(work: Work, cells: int) -> bool:
    """Whether one more token diff of ``cells`` fits both budgets; if so it is spent."""
    if not (work.token_diffs.fits(1) and work.inline_cells.fits(cells)):
        return False
    work.token_diffs.take(1)
    work.inline_cells.take(cells)
    return True


def _diff_tokens(old: str, new: str, work: Work) -> tuple[list[Span], list[Span]]:
    """The tokens' LCS with diff-match-patch's semantic cleanup; whole spans past the size or the budgets."""
    encoded = _tokens_as_chars(old, new) if old and new and len(old) + len(new) <= MAX_INLINE_CHARS else None
    if encoded is None or len(encoded[0]) == len(encoded[1]) == 1:  # nothing to align
        return _whole(old), _whole(new)
    old_chars, new_chars, tokens = encoded
    if not _affords(work, len(old_chars) * len(new_chars)):
        return _whole(old), _whole(new)
    engine = diff_match_patch()
    diffs = _token_diffs(old_chars, new_chars)
    engine.diff_cleanupMerge(diffs)
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


def inline_diff(old: str, new: str, work: Work | None = None) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The changed spans inside a modified pair: characters for CJK, words for Latin text."""
    head, tail = _shared_ends(old, new)  # only the middle needs tokens and an alignment
    middles = old[head : len(old) - tail], new[head : len(new) - tail]
    old_spans, new_spans = _diff_tokens(*middles, Work() if work is None else work)
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


def similarity(old: str, new: str, budget: Meter) -> float:
    """rapidfuzz's ratio (0-100) when its cost fits ``budget``, else the floor the shared ends give it."""
    if budget.take(len(old) * len(new)):
        return fuzz.ratio(old, new)
    head, tail = _affixes(old, new)  # both ends are in the longest common subsequence
    return 200 * (head + tail) / (len(old) + len(new))


def _scores(pairs: list[tuple[str, str]], budget: Meter) -> list[float]:
    """The similarity of each pair: all by rapidfuzz at once when together they fit the budget."""
    if budget.take(sum(len(old) * len(new) for old, new in pairs)):
        return [fuzz.ratio(old, new) for old, new in pairs]
    return [similarity(old, new, budget) for old, new in pairs]


def _pairs(old: list[str], new: list[str], budget: Meter) -> list[tuple[int, int]]:
    """Which lines of a replaced block are edits of each other, in order (indexes into the block)."""
    if len(old) * len(new) > BEST_MATCH_BUDGET:
        scores = _scores(list(zip(old, new, strict=False)), budget)
        return [(i, i) for i, score in enumerate(scores) if score >= PAIR_SIMILARITY]
    pairs: list[tuple[int, int]] = []
    next_new = 0
    for i, line in enumerate(old):
        candidates = [(similarity(line, new[j], budget), j) for j in range(next_new, len(new))]
        best = max(candidates, default=(0.0, -1), key=lambda item: (item[0], -item[1]))
        if best[0] >= PAIR_SIMILARITY:
            pairs.append((i, best[1]))
            next_new = best[1] + 1
    return pairs


@dataclass(frozen=True)
class _Layout:
    """How rows are built: the budgets, the sides swapped or not, and the texts to mark as moved."""

    work: Work
    mirrored: bool
    moved: frozenset[str] = frozenset()


def _paired_row(old: str, new: str, numbers: tuple[int, int], layout: _Layout) -> Row:
    """The row of a pair of alike lines (``numbers`` are theirs, 1-based)."""
    if old == new:  # blank lines cannot anchor difflib's matches, so they can land in a replaced block
        return _equal_rows([old], numbers[0] - 1, numbers[1] - 1, layout.mirrored)[0]
    old_spans, new_spans = inline_diff(old, new, layout.work)
    if layout.mirrored:
        return Row(RowKind.MODIFIED, numbers[1], numbers[0], new_spans, old_spans)
    return Row(RowKind.MODIFIED, *numbers, old_spans, new_spans)


def _one_sided_rows(lines: list[str], start: int, kind: RowKind, moved: frozenset[str]) -> list[Row]:
    """Rows of lines only one side has (``kind`` says which), numbered on that side after ``start``."""
    if kind is RowKind.DELETED:
        return [
            Row(kind, number, None, (Span(line, True),), (), line in moved)
            for number, line in enumerate(lines, start + 1)
        ]
    return [
        Row(kind, None, number, (), (Span(line, True),), line in moved)
        for number, line in enumerate(lines, start + 1)
    ]


def _unpaired(pairs: list[tuple[int, int]], old_count: int, new_count: int) -> list[tuple[range, range]]:
    """The runs of unpaired lines before each pair and after the last, as old and new index ranges."""
    bounds = [(-1, -1), *pairs, (old_count, new_count)]
    return [(range(i + 1, next_i), range(j + 1, next_j)) for (i, j), (next_i, next_j) in pairwise(bounds)]


def _replaced_rows(
    old: list[str], new: list[str], pairs: list[tuple[int, int]], starts: tuple[int, int], layout: _Layout
) -> list[Row]:
    """A replaced block: alike lines paired, the others shown deleted first, then added."""
    gone, came = (RowKind.ADDED, RowKind.DELETED) if layout.mirrored else (RowKind.DELETED, RowKind.ADDED)
    rows: list[Row] = []
    for (old_run, new_run), pair in zip(_unpaired(pairs, len(old), len(new)), [*pairs, None], strict=True):
        deletions = _one_sided_rows(
            old[old_run.start : old_run.stop], starts[0] + old_run.start, gone, layout.moved
        )
        additions = _one_sided_rows(
            new[new_run.start : new_run.stop], starts[1] + new_run.start, came, layout.moved
        )
        rows += additions + deletions if layout.mirrored else deletions + additions
        if pair:
            numbers = (starts[0] + pair[0] + 1, starts[1] + pair[1] + 1)
            rows.append(_paired_row(old[pair[0]], new[pair[1]], numbers, layout))
    return rows


def _moved_texts(
    old: list[str], new: list[str], blocks: list[_Block], pairs: dict[int, list[tuple[int, int]]]
) -> frozenset[str]:
    """Paragraphs deleted in one place and added unchanged in another: they are shown as moved."""
    deleted: Counter[str] = Counter()
    added: Counter[str] = Counter()
    for tag, i1, i2, j1, j2 in blocks:
        if tag != "equal":
            for old_run, new_run in _unpaired(pairs[i1], i2 - i1, j2 - j1):
                deleted.update(old[i1 + old_run.start : i1 + old_run.stop])
                added.update(new[j1 + new_run.start : j1 + new_run.stop])
    return frozenset(text for text in deleted & added if text)


def _stats(rows: list[Row]) -> DiffStats:
    kinds = Counter(row.kind for row in rows)
    changes = [row for row in rows if row.kind is not RowKind.EQUAL]  # equal rows change no character
    return DiffStats(
        paragraphs_added=kinds[RowKind.ADDED],
        paragraphs_deleted=kinds[RowKind.DELETED],
        paragraphs_modified=kinds[RowKind.MODIFIED],
        chars_inserted=sum(len(span.text) for row in changes for span in row.new if span.changed),
        chars_deleted=sum(len(span.text) for row in changes for span in row.old if span.changed),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: a diff makes up to millions of tuples, none of them cyclic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_diff(old: str, new: str, work: Work | None = None) -> Diff:
    """Align two texts paragraph by paragraph and mark what changed inside modified paragraphs.

    difflib breaks ties by position, so it can align a pair differently once swapped; aligning in one
    canonical order and mirroring makes comparing B with A read exactly as A with B, sides swapped.
    ``work`` holds the budgets (default: the module's); what they used is kept on the diff.
    """
    work = Work() if work is None else work
    with _collector_paused():
        rows = _aligned_rows(new, old, work, mirrored=True) if old > new else _aligned_rows(old, new, work)
        return Diff(tuple(rows), _stats(rows), work)


def _is_blank(line: str) -> bool:
    return not line.strip()


def _equal_rows(lines: list[str], old_start: int, new_start: int, mirrored: bool = False) -> list[Row]:
    """Rows of unchanged lines, numbered after ``old_start`` and ``new_start`` (swapped when mirrored)."""
    if mirrored:
        old_start, new_start = new_start, old_start
    rows = []
    for k, line in enumerate(lines):
        spans = (Span(line),)  # one tuple for both sides: the table renders it once
        rows.append(Row(RowKind.EQUAL, old_start + k + 1, new_start + k + 1, spans, spans))
    return rows


class _OverBudget(Exception):
    """difflib would examine more candidate matches than its budget allows."""


def _search_costs(old: list[str], new: list[str]) -> list[int]:
    """Prefix sums of what difflib's search over old[lo:hi] may examine: each line and its places in new."""
    places = Counter(line for line in new if not _is_blank(line))  # blank lines are junk: never looked up
    return list(accumulate((1 + places[line] for line in old), initial=0))


class _BudgetedMatcher(SequenceMatcher):
    """difflib's matcher, charged before each search for every candidate match that search may examine."""

    def __init__(self, old: list[str], new: list[str], costs: list[int], budget: Meter) -> None:
        # Blank lines cannot start a match (they may extend one): hundreds would make difflib quadratic.
        super().__init__(_is_blank, old, new, autojunk=False)
        self._old_lines = len(old)
        self._costs = costs
        self._budget = budget

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> Match:
        ahi = self._old_lines if ahi is None else ahi
        if not self._budget.take(self._costs[ahi] - self._costs[alo]):
            raise _OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


def _lcs_blocks(old: list[str], new: list[str]) -> list[_Block]:
    """An exact longest common subsequence of lines (rapidfuzz), as ``equal`` and ``replace`` blocks."""
    ids: dict[str, int] = {}  # lines as exact integers: rapidfuzz would otherwise compare their hashes
    old_ids, new_ids = ([ids.setdefault(line, len(ids)) for line in lines] for lines in (old, new))
    blocks: list[_Block] = []
    for op in Indel.opcodes(old_ids, new_ids):
        i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
        kind: _Tag = "equal" if op.tag == "equal" else "replace"
        if kind == "replace" and blocks and blocks[-1][0] == "replace":  # one block per run of edits
            _, i1, _, j1, _ = blocks.pop()
        blocks.append((kind, i1, i2, j1, j2))
    return blocks


def _line_blocks(old: list[str], new: list[str], work: Work) -> list[_Block]:
    """Aligned blocks of lines: difflib within its budget, else an exact LCS, else one replaced block."""
    costs = _search_costs(old, new)
    if work.align_steps.fits(costs[-1]):  # its first search looks at every line: else skip difflib at once
        try:
            return _BudgetedMatcher(old, new, costs, work.align_steps).get_opcodes()
        except _OverBudget:
            pass
    if work.align_cells.take(len(old) * len(new)):
        return _lcs_blocks(old, new)
    return [("replace", 0, len(old), 0, len(new))]


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


def _aligned_rows(old: str, new: str, work: Work, mirrored: bool = False) -> list[Row]:
    """The rows of ``old`` against ``new``; ``mirrored`` builds them as ``new`` against ``old`` reads."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    # Most changes touch a few lines: the common start and end need no alignment.
    head, tail = _common_ends(old_lines, new_lines)
    old_middle, new_middle = old_lines[head : len(old_lines) - tail], new_lines[head : len(new_lines) - tail]
    blocks = _line_blocks(old_middle, new_middle, work)
    pairs = {
        i1: _pairs(old_middle[i1:i2], new_middle[j1:j2], work.similarity_cells)
        for tag, i1, i2, j1, j2 in blocks
        if tag != "equal"
    }
    layout = _Layout(work, mirrored, _moved_texts(old_middle, new_middle, blocks, pairs))
    rows = _equal_rows(old_lines[:head], 0, 0)
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal":
            rows += _equal_rows(old_middle[i1:i2], head + i1, head + j1, mirrored)
        else:
            old_block, new_block = old_middle[i1:i2], new_middle[j1:j2]
            rows += _replaced_rows(old_block, new_block, pairs[i1], (head + i1, head + j1), layout)
    rows += _equal_rows(
        old_lines[len(old_lines) - tail :], len(old_lines) - tail, len(new_lines) - tail, mirrored
    )
    return rows
