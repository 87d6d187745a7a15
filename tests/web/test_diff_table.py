"""The diff table stays a page: past MAX_TABLE_ROWS it ends with a note and links to the full texts."""

from lxml import html as lxml_html

from analysis.diff import build_diff
from i18n import translator
from web.diff_table import MAX_TABLE_ROWS, render_diff_table


def _table(old: str, new: str, language: str = "en") -> lxml_html.HtmlElement:
    markup = render_diff_table(build_diff(old, new), translator(language), "", old_id=7, new_id=8)
    return lxml_html.fromstring(str(markup))


def test_a_huge_diff_shows_at_most_the_cap_and_links_the_full_texts():
    old = "\n".join(f"{n}a" for n in range(MAX_TABLE_ROWS + 1200))
    new = "\n".join(f"{n}b" for n in range(MAX_TABLE_ROWS + 1200))
    table = _table(old, new)
    assert len(table.xpath("//tr[td[@class='no old-no']]")) == MAX_TABLE_ROWS
    note = table.xpath("//tbody[@class='truncated']")[0]
    assert "1200 more lines are not shown" in note.text_content()
    assert note.xpath(".//a/@href") == ["../v/7.txt", "../v/8.txt"]


def test_a_policy_sized_diff_is_shown_whole():
    old = "\n".join(f"第{n}条 我们收集设备信息。" for n in range(400))
    new = old.replace("第200条 我们收集设备信息。", "第200条 我们收集设备信息与位置信息。")
    table = _table(old, new, "zh")
    assert not table.xpath("//tbody[@class='truncated']")
    assert "位置信息" in table.text_content()
