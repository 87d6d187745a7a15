"""The side-by-side diff table as HTML: rendered in Python, the page's hot path (thousands of rows)."""

from collections.abc import Callable

from markupsafe import Markup, escape

from analysis.diff import Diff, Row, RowKind, Span

COLUMNS = '<colgroup><col class="nav"><col class="no"><col><col class="no"><col></colgroup>'
# Rows a page shows at most: past this (a 1 MB text of one-character lines is half a million rows, over
# 100 MB of HTML) the table ends with a note linking both versions' full texts.
MAX_TABLE_ROWS = 5_000


def _spans(spans: tuple[Span, ...], tag: str) -> str:
    return "".join(
        f"<{tag}>{escape(span.text)}</{tag}>" if span.changed else str(escape(span.text)) for span in spans
    )


def _line_link(version_id: int | None, number: int | None) -> str:
    """A line number, linked to that line of its version's page (relative to the diff page's URL)."""
    if not number:
        return ""
    return f'<a href="../v/{version_id}#L{number}">{number}</a>' if version_id else str(number)


class _RowWriter:
    def __init__(
        self, diff: Diff, translate: Callable[..., str], old_id: int | None = None, new_id: int | None = None
    ) -> None:
        self.old_id, self.new_id = old_id, new_id
        self.numbers = {id(row): number for number, row in enumerate(diff.changes, 1)}
        self.total = len(diff.changes)
        self.previous_label = escape(translate("web.prev_change"))
        self.next_label = escape(translate("web.next_change"))
        self.moved = f' <span class="badge">{escape(translate("web.moved"))}</span>'

    def _nav(self, number: int) -> str:
        links = []
        if number > 1:
            links.append(f'<a href="#c{number - 1}" aria-label="{self.previous_label}">↑</a>')
        if number < self.total:
            links.append(f'<a href="#c{number + 1}" aria-label="{self.next_label}">↓</a>')
        return "".join(links)

    def row(self, row: Row) -> str:
        number = self.numbers.get(id(row))
        classes = row.kind.value + (" moved" if row.moved else "")
        anchor = f' id="c{number}"' if number else ""
        old_html = _spans(row.old, "del")
        new_html = old_html if row.new is row.old else _spans(row.new, "ins")
        old_badge = self.moved if row.moved and row.kind is RowKind.DELETED else ""
        new_badge = self.moved if row.moved and row.kind is RowKind.ADDED else ""
        return (
            f'<tr class="{classes}"{anchor}><td class="nav">{self._nav(number) if number else ""}</td>'
            f'<td class="no old-no">{_line_link(self.old_id, row.old_no)}</td>'
            f'<td class="old">{old_html}{old_badge}</td>'
            f'<td class="no new-no">{_line_link(self.new_id, row.new_no)}</td>'
            f'<td class="new">{new_html}{new_badge}</td></tr>'
        )


def header_row(translate: Callable[..., str], old_date: str, new_date: str) -> str:
    """The table's column titles: each version with the date it was first seen."""
    titles = (
        f"{translate('web.previous_version')} ({old_date})",
        f"{translate('web.current_version')} ({new_date})",
    )
    return "<tr><th></th>" + "".join(f'<th colspan="2">{escape(title)}</th>' for title in titles) + "</tr>"


def render_diff_table(
    diff: Diff,
    translate: Callable[..., str],
    header: str,
    old_id: int | None = None,
    new_id: int | None = None,
) -> Markup:
    """The table: a header row, then each segment; long unchanged runs fold into ``<details>``.

    With the versions' ids, each line number links to that line of its version's page (``../v/ID#L12``).
    """
    writer = _RowWriter(diff, translate, old_id, new_id)
    parts = [f'<table class="diff">{COLUMNS}<thead>{header}</thead>']
    shown = 0
    for segment in diff.segments():
        room = MAX_TABLE_ROWS - shown
        if room <= 0:
            break
        segment_rows = segment.rows[:room]
        shown += len(segment_rows)
        rows = "".join(writer.row(row) for row in segment_rows)
        if segment.collapsed:
            summary = escape(translate("web.unchanged_lines", count=len(segment.rows)))
            parts.append(
                f'<tbody class="collapsed"><tr><td colspan="5"><details><summary>{summary}</summary>'
                f'<table class="diff">{COLUMNS}<tbody>{rows}</tbody></table></details></td></tr></tbody>'
            )
        else:
            parts.append(f"<tbody>{rows}</tbody>")
    hidden = len(diff.rows) - shown
    if hidden > 0:
        parts.append(_rows_not_shown(translate, hidden, old_id, new_id))
    parts.append("</table>")
    return Markup("".join(parts))


def _rows_not_shown(
    translate: Callable[..., str], hidden: int, old_id: int | None, new_id: int | None
) -> str:
    """The table's last row when it stops early: how many lines are left out, and the full texts."""
    note = escape(translate("web.rows_not_shown", count=hidden))
    links = "".join(
        f' <a href="../v/{version_id}.txt">{escape(translate(label))}</a>'
        for version_id, label in ((old_id, "web.previous_version"), (new_id, "web.current_version"))
        if version_id
    )
    return f'<tbody class="truncated"><tr><td colspan="5">{note}{links}</td></tr></tbody>'
