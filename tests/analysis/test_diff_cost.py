"""The diff's cost is bounded whatever the input: counted work within budgets, cheaper methods past them.

Each 1 MB shape here took from 15 s to many minutes before the budgets; the bounds are asserted as
counts of work (deterministic), and benchmarks/diff_bench.py times the same shapes.
"""

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.diff import (
    ALIGN_STEPS,
    INLINE_CELLS,
    SIMILARITY_CELLS,
    TOKEN_DIFFS,
    Meter,
    RowKind,
    Work,
    build_diff,
    inline_diff,
    similarity,
)

MEGABYTE = 1_000_000
_CJK = [chr(code) for code in range(0x4E00, 0x4E00 + 3000)]


def _cjk(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(_CJK, k=length))


def _rebuilt(diff, side: str) -> str:
    number, text = ("old_no", "old_text") if side == "old" else ("new_no", "new_text")
    return "\n".join(getattr(row, text) for row in diff.rows if getattr(row, number) is not None)


def _within_budgets(diff) -> bool:
    meters = vars(diff.work).values()
    return all(meter.used <= meter.limit for meter in meters)


def test_a_one_megabyte_line_with_a_small_change_is_one_modified_row_found_without_rapidfuzz():
    line = _cjk(random.Random(1), MEGABYTE // 3)
    middle = len(line) // 2
    diff = build_diff(line, line[:middle] + "变更" + line[middle + 2 :])
    (row,) = diff.rows
    assert row.kind is RowKind.MODIFIED
    assert [span.text for span in row.new if span.changed] == ["变更"]
    assert diff.work.similarity_cells.used == 0  # too long for rapidfuzz: judged by its shared ends
    assert diff.work.inline_cells.used <= 4  # only the changed middle is diffed by tokens


def test_two_unrelated_one_megabyte_lines_are_a_deletion_and_an_addition_compared_by_their_ends():
    rng = random.Random(2)
    old, new = _cjk(rng, MEGABYTE // 3), _cjk(rng, MEGABYTE // 3)
    diff = build_diff(old, new)
    assert [row.kind for row in diff.rows] == [RowKind.DELETED, RowKind.ADDED]
    assert diff.work.similarity_cells.used == 0 and diff.work.inline_cells.used == 0


def test_an_over_long_pair_is_compared_by_its_shared_ends_not_rapidfuzz():
    budget = Meter(SIMILARITY_CELLS)
    old, new = "甲" * 40_000 + "乙" * 10, "甲" * 40_000 + "丙" * 10  # 1.6e9 cells: over the whole budget
    assert similarity(old, new, budget) == pytest.approx(200 * 40_000 / 80_020)
    assert budget.used == 0
    assert similarity("我们收集您的位置信息", "我们收集您的设备信息", budget) == 80
    assert budget.used == 100


def test_every_other_line_changed_goes_past_difflib_to_an_exact_lcs_of_lines():
    rng = random.Random(3)
    lines = [_cjk(rng, 20) for _ in range(MEGABYTE // 63)]
    new = [line if index % 2 else _cjk(rng, 20) for index, line in enumerate(lines)]
    diff = build_diff("\n".join(lines), "\n".join(new))
    assert _within_budgets(diff)
    assert diff.work.align_steps.used <= ALIGN_STEPS < diff.work.align_cells.used
    assert sum(row.kind is RowKind.EQUAL for row in diff.rows) == len(lines) // 2


def test_repeated_identical_lines_are_one_replaced_block_paired_in_order():
    lines = ["同意"] * (MEGABYTE // 7)
    old, new = "\n".join(["头", *lines, "尾"]), "\n".join(["首", *lines[:-5], "末"])
    diff = build_diff(old, new)
    assert _within_budgets(diff) and diff.work.align_cells.used == 0
    assert (diff.stats.paragraphs_added, diff.stats.paragraphs_deleted) == (2, 7)
    assert (_rebuilt(diff, "old"), _rebuilt(diff, "new")) == (old, new)


def test_long_unrelated_lines_stop_using_rapidfuzz_once_its_budget_is_spent():
    rng = random.Random(4)
    old, new = ("\n".join(_cjk(rng, 16_000) for _ in range(20)) for _ in range(2))
    diff = build_diff(old, new)  # 400 candidate pairs of 16,000 × 16,000 characters: 1e11 cells
    assert _within_budgets(diff) and diff.work.similarity_cells.used > SIMILARITY_CELLS * 0.7
    assert diff.stats.paragraphs_added == diff.stats.paragraphs_deleted == 20


def test_a_pair_over_the_inline_budgets_is_highlighted_whole_between_its_shared_ends():
    for spent in (Work(inline_cells=Meter(INLINE_CELLS, used=INLINE_CELLS)), Work(token_diffs=Meter(0))):
        old, new = inline_diff("保存3年的数据", "保存5个月的数据", spent)
        assert [span.text for span in old if span.changed] == ["3年"]
        assert [span.text for span in new if span.changed] == ["5个月"]


def test_past_ten_thousand_modified_pairs_the_rest_are_highlighted_between_their_shared_ends():
    rng = random.Random(5)
    lines = [_cjk(rng, 20) for _ in range(MEGABYTE // 63)]
    new = [line[:5] + "改动" + line[6:14] + "新" + line[15:] for line in lines]  # two edits per line
    diff = build_diff("\n".join(lines), "\n".join(new))
    assert diff.work.token_diffs.used == TOKEN_DIFFS < diff.stats.paragraphs_modified == len(lines)
    first, last = diff.changes[0], diff.changes[-1]
    assert [span.text for span in first.new if span.changed] == ["改动", "新"]  # by tokens
    assert [span.text for span in last.new if span.changed] == [new[-1][5:16]]  # between its shared ends


lines = st.text(alphabet="极氪隐私政策个人信息ab cd,。", max_size=12)
texts = st.lists(lines, max_size=15).map("\n".join)


def _no_budget() -> Work:
    return Work(*(Meter(0) for _ in vars(Work())))


_SWAPPED_KIND = {RowKind.ADDED: RowKind.DELETED, RowKind.DELETED: RowKind.ADDED}


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_with_every_budget_spent_the_rows_still_rebuild_both_inputs_and_swap_exactly(old, new):
    diff, swapped = build_diff(old, new, _no_budget()), build_diff(new, old, _no_budget())
    assert (_rebuilt(diff, "old"), _rebuilt(diff, "new")) == (old, new)
    rows = Counter((row.kind, row.old_no, row.new_no) for row in diff.rows)
    assert rows == Counter(
        (_SWAPPED_KIND.get(row.kind, row.kind), row.new_no, row.old_no) for row in swapped.rows
    )
