"""Plain-text renderings of the diff model and the change report, for the terminal."""

from analysis.diff import Diff, Row, RowKind, Span
from analysis.report import ChangeReport
from scraping.reextract import Plan, Reading


def _marked(spans: tuple[Span, ...], opening: str, closing: str) -> str:
    return "".join(f"{opening}{span.text}{closing}" if span.changed else span.text for span in spans)


def _row_lines(row: Row) -> list[str]:
    if row.kind is RowKind.EQUAL:
        return [f"  {row.new_text}"]
    lines = []
    if row.old_no is not None:
        lines.append("- " + (_marked(row.old, "[-", "-]") if row.kind is RowKind.MODIFIED else row.old_text))
    if row.new_no is not None:
        lines.append("+ " + (_marked(row.new, "{+", "+}") if row.kind is RowKind.MODIFIED else row.new_text))
    return lines


def format_stats(diff: Diff) -> str:
    stats = diff.stats
    return (
        f"{stats.paragraphs_added} paragraphs added, {stats.paragraphs_deleted} deleted, "
        f"{stats.paragraphs_modified} modified; {stats.chars_inserted} characters inserted, "
        f"{stats.chars_deleted} deleted"
    )


def format_text_diff(diff: Diff, context: int = 1) -> str:
    """A readable text diff: hunks headed by line numbers, [-deleted-] and {+inserted+} inside lines."""
    out: list[str] = []
    for segment in diff.segments(context):
        if segment.collapsed or not any(row.is_change for row in segment.rows):
            continue
        first = segment.rows[0]
        out.append(f"@@ line {first.old_no or '-'} → {first.new_no or '-'} @@")
        for row in segment.rows:
            out += _row_lines(row)
    return "\n".join(out)


def format_report(report: ChangeReport) -> str:
    """A change report as plain text."""
    label = "automatic report (no AI)" if report.is_automatic else "AI report"
    lines = [f"[{report.severity.value}] {report.headline}  ({label})", "", report.assessment]
    for number, change in enumerate(report.changes, 1):
        section = f" [{change.section}]" if change.section else ""
        lines.append(f"{number}. {change.kind}{section}: {change.what}")
        if change.impact:
            lines.append(f"   impact: {change.impact}")
    if report.conclusion:
        lines += ["", report.conclusion]
    lines += [f"- {action}" for action in report.actions]
    return "\n".join(lines)


def _reading_line(reading: Reading, merges: dict[int, int]) -> str:
    """One version of a reextract plan: what today's rules make of its stored responses."""
    snapshots = f"{reading.snapshots} snapshot{'s' if reading.snapshots != 1 else ''}"
    if reading.version_id in merges:
        verdict = f"would merge with #{merges[reading.version_id]}: today's rules read them alike"
    else:
        verdict = {
            "no snapshot": "no snapshot: recorded before snapshots were kept",
            "unreadable": f"today's rules cannot read its {snapshots}",
            "split": f"would split into {len(reading.texts)} texts ({snapshots})",
            "same": f"reads as it did ({snapshots})",
            "different": f"reads differently ({snapshots})",
        }[reading.status]
    technical = "  rules updated" if reading.technical else ""
    return f"  #{reading.version_id}  first seen {reading.first_seen_at:%Y-%m-%d %H:%M}{technical}  {verdict}"


def format_plan(plan: Plan, recorded_id: int | None, dry_run: bool) -> str:
    """How a document's history reads with today's rules, and what re-extraction recorded (or would)."""
    lines = [f"{plan.target.platform_slug}/{plan.target.kind}"]
    lines += [_reading_line(reading, plan.merges) for reading in plan.readings] or ["  no version yet"]
    if plan.current_id is None:
        return "\n".join(lines)
    if plan.reread_text is None:
        outcome = "no snapshot to re-read: the next check re-reads it"
    elif not plan.would_record:
        outcome = "today's rules read it as it is: nothing to record"
    elif dry_run:
        outcome = "would be recorded again as a technical version (rules updated)"
    else:
        outcome = f"recorded again as technical version #{recorded_id} (rules updated)"
    lines.append(f"  in force #{plan.current_id}: {outcome}")
    return "\n".join(lines)
