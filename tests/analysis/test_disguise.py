"""Bidi controls and tag characters cannot disguise a policy's text or the model's report of it."""

import json

from analysis.diff import build_diff
from analysis.disguise import strip_disguises
from analysis.llm import write_report
from tests.chat_server import SEED_REPORT, Answer
from tests.pages import SEED_NEW, SEED_OLD, seed_text

OLD, NEW = seed_text(SEED_OLD), seed_text(SEED_NEW)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
TAGS = "".join(chr(code) for code in (0xE0001, 0xE0020, 0xE0041, 0xE007A, 0xE007F))
HIDDEN = BIDI + TAGS


def test_every_bidi_control_and_tag_character_is_removed_and_nothing_else():
    assert (
        strip_disguises(f"我们{HIDDEN}不会出售{TAGS}您的信息 \u200d👨‍👩 a\u202eb")
        == "我们不会出售您的信息 \u200d👨‍👩 ab"
    )
    assert all(strip_disguises(char) == "" for char in HIDDEN)


def _disguised(value: str) -> str:
    """``value`` with a right-to-left override in the middle and tags at the end, as an attacker writes."""
    return value[:2] + "\u202e" + value[2:] + "\u2066" + TAGS


async def test_the_model_answer_is_stripped_in_every_field_of_the_report(chat):
    answer = json.loads(SEED_REPORT)
    answer.update(
        headline=_disguised(answer["headline"]),
        assessment=_disguised(answer["assessment"]),
        conclusion=_disguised(answer["conclusion"]),
        actions=[_disguised("核对运营主体")],
    )
    change = answer["changes"][0]
    change.update({field: _disguised(change[field]) for field in ("section", "what", "impact")})
    escaped = json.dumps(answer)  # \u escapes: the controls arrive only once the JSON is parsed
    _, client = chat(Answer(escaped))
    run = await write_report(client, "deepseek-chat", build_diff(OLD, NEW), OLD, NEW, timeout=2.0)
    report = run.report
    assert not report.is_automatic and run.failure is None
    shown = json.dumps(report.model_dump(), ensure_ascii=False)
    assert not any(char in shown for char in HIDDEN)
    assert report.headline == json.loads(SEED_REPORT)["headline"]
    assert report.actions == ["核对运营主体"]
    assert report.changes[0].section == json.loads(SEED_REPORT)["changes"][0]["section"]
