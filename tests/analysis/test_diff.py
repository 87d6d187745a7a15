"""The diff model: exact on small edits, faithful on any input, readable highlights."""

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.diff import RowKind, build_diff, inline_diff
from tests.pages import CHANGED_LINE, NEW_COMPANY, OLD_COMPANY, SEED_NEW, SEED_OLD, seed_text

# Lines drawn from a small alphabet (Chinese, Latin, spaces, punctuation) so edits overlap often.
lines = st.text(alphabet="极氪隐私政策个人信息ab cd,。", max_size=12)
texts = st.lists(lines, max_size=15).map("\n".join)


def rebuilt(diff, side: str) -> str:
    number, text = ("old_no", "old_text") if side == "old" else ("new_no", "new_text")
    return "\n".join(getattr(row, text) for row in diff.rows if getattr(row, number) is not None)


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_rows_rebuild_both_inputs_exactly(old, new):
    diff = build_diff(old, new)
    assert rebuilt(diff, "old") == old
    assert rebuilt(diff, "new") == new
    numbers = [row.old_no for row in diff.rows if row.old_no is not None]
    assert numbers == list(range(1, len(old.split("\n")) + 1))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_equal_inputs_give_no_change(text):
    diff = build_diff(text, text)
    assert diff.changes == () and diff.stats.is_empty


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_swapping_sides_swaps_added_and_deleted(old, new):
    forward, backward = build_diff(old, new).stats, build_diff(new, old).stats
    assert (forward.paragraphs_added, forward.paragraphs_deleted) == (
        backward.paragraphs_deleted,
        backward.paragraphs_added,
    )


def test_seed_pair_is_one_modified_row_at_line_147_naming_both_companies():
    diff = build_diff(seed_text(SEED_OLD), seed_text(SEED_NEW))
    (row,) = diff.changes
    assert (row.kind, row.old_no, row.new_no) == (RowKind.MODIFIED, CHANGED_LINE, CHANGED_LINE)
    assert [span.text for span in row.old if span.changed] == [OLD_COMPANY]
    assert [span.text for span in row.new if span.changed] == [NEW_COMPANY]
    assert diff.stats.paragraphs_modified == 1 and diff.stats.chars_inserted == len(NEW_COMPANY)


def test_latin_text_is_diffed_by_words_not_letters():
    old, new = inline_diff("We keep your data for 30 days.", "We keep your data for 90 days.")
    assert [span.text for span in old if span.changed] == ["30"]
    assert [span.text for span in new if span.changed] == ["90"]
    old, new = inline_diff("We share data with partners.", "We sell data to partners.")
    assert [span.text for span in old if span.changed] == ["share", "with"]
    assert [span.text for span in new if span.changed] == ["sell", "to"]


def test_chinese_is_diffed_by_characters_in_one_or_two_spans():
    old, new = inline_diff("我们会保存您的个人信息3年。", "我们会保存您的个人信息及生物识别信息5年。")
    assert [span.text for span in old if span.changed] == ["3"]
    assert [span.text for span in new if span.changed] == ["及生物识别信息5"]


def test_unrelated_replacements_show_as_delete_and_add_and_moves_are_marked():
    diff = build_diff("标题\n完全不同的一段话\n第三段", "标题\nAn entirely different paragraph\n第三段")
    assert [row.kind for row in diff.changes] == [RowKind.DELETED, RowKind.ADDED]
    moved = build_diff("一\n二\n三段内容\n四", "一\n三段内容\n二\n四")
    assert any(row.moved for row in moved.changes)


def test_long_unchanged_runs_collapse_around_changes():
    old = "\n".join(f"第{i}段" for i in range(100))
    new = old.replace("第50段", "第50段(已修改)")
    segments = build_diff(old, new).segments(context=3)
    assert [(segment.collapsed, len(segment.rows)) for segment in segments] == [
        (True, 47),
        (False, 7),
        (True, 46),
    ]
