"""One "is this text Chinese" heuristic, for a report's language and for a text that switched language."""

import pytest

from analysis.language import document_language, is_chinese
from scraping.verdict import judge_text
from tests.pages import SEED_NEW, SEED_OLD, seed_text

ENGLISH = "We collect and use your personal information to provide the service. " * 40


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (seed_text(SEED_OLD), "zh"),  # a real Chinese policy, full of SDK names and URLs
        ("本政策适用于极氪 App、小程序及 Cookie 技术,SDK 列表见 https://www.zeekrlife.com/privacy。", "zh"),
        ("我们会收集您的位置信息。", "zh"),  # short: a share, not a count, decides
        ("隐私政策", "zh"),
        (ENGLISH, "en"),
        (ENGLISH + "Operated by 浙江吉利控股集团有限公司 (Zhejiang Geely Holding Group).", "en"),
        # an English policy naming many Chinese companies: more than 50 Han characters, still English
        (ENGLISH + "Partners: " + "浙江吉利汽车备件有限公司、" * 6, "en"),
        ("Privacy Policy 隐私政策 " * 3, "zh"),  # a bilingual title reads as Chinese
        ("", "en"),
        ("2025-11-10 · 400-000-0000 · ©", "en"),  # no letters at all
    ],
)
def test_mixed_texts(text, language):
    assert document_language(text) == language
    assert is_chinese(text) is (language == "zh")


def test_the_verdict_and_the_report_agree_on_a_switch_of_language():
    chinese = seed_text(SEED_NEW)
    english = "Privacy Policy\n" + ENGLISH.replace(". ", ".\n") * 5
    assert (document_language(chinese), document_language(english)) == ("zh", "en")
    verdict = judge_text(english, chinese)
    assert verdict is not None and "another language (en, was zh)" in verdict.reason
    assert judge_text(chinese, seed_text(SEED_OLD)) is None
