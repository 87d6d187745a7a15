"""Keyword watch: what a keyword is, which changed sentences mention it, and how they are quoted."""

import pytest

from analysis.diff import build_diff
from analysis.keywords import (
    Hit,
    KeywordError,
    KeywordProblem,
    Side,
    changed_sentences,
    keyword_hits,
    normalize_keyword,
    quote,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("人脸", "人脸"),
        (" SDK ", "sdk"),
        ("ＳＤＫ", "sdk"),
        ("Third   Party", "third party"),
        ("精确位置", "精确位置"),
    ],
)
def test_keywords_are_normalised(typed, stored):
    assert normalize_keyword(typed) == stored


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", KeywordProblem.EMPTY),
        ("   ", KeywordProblem.EMPTY),
        ("x" * 51, KeywordProblem.TOO_LONG),
        ("!!!", KeywordProblem.PUNCTUATION),
        ("。,、", KeywordProblem.PUNCTUATION),
        ("<b>face</b>", KeywordProblem.MARKUP),
        ("&amp;", KeywordProblem.MARKUP),
    ],
)
def test_bad_keywords_are_refused_with_the_reason(typed, problem):
    with pytest.raises(KeywordError) as raised:
        normalize_keyword(typed)
    assert raised.value.problem is problem


def hits(old: str, new: str, keyword: str) -> list[Hit]:
    return keyword_hits(changed_sentences(build_diff(old, new)), normalize_keyword(keyword))


def test_chinese_matches_as_a_substring_english_as_a_word_without_case():
    old = "我们收集您的设备信息。"
    new = (
        "我们收集您的设备信息。我们会采集您的人脸图像用于登录。"
        "We share data with advertisers and SDK partners."
    )
    assert [h.sentence for h in hits(old, new, "人脸")] == ["我们会采集您的人脸图像用于登录。"]
    assert [h.side for h in hits(old, new, "sdk")] == [Side.ADDED]
    assert hits(old, new, "advertiser") != []  # a plural is the same word
    assert hits(old, new, "adverti") == []  # part of a word is not
    assert hits(old, new, "指纹") == []


def test_only_added_or_removed_sentences_count_not_unchanged_ones_in_a_modified_paragraph():
    old = "我们会使用人脸识别。我们收集位置。"
    new = "我们会使用人脸识别。我们收集精确位置。"
    assert hits(old, new, "人脸") == []
    assert [(h.side, h.sentence) for h in hits(old, new, "位置")] == [
        (Side.REMOVED, "我们收集位置。"),
        (Side.ADDED, "我们收集精确位置。"),
    ]


def test_a_suggested_keyword_watches_both_its_forms():
    assert hits("", "We may use face recognition.", "人脸") != []
    assert hits("", "我们不会处理第三方数据。", "third party") != []
    assert hits("", "Shared with third-party SDKs.", "third party") != []


def test_the_quote_is_escaped_with_the_keyword_in_bold():
    hit = Hit("sdk", Side.ADDED, "<script> SDK & Sdk sdkx")
    assert quote(hit) == "&lt;script&gt; <b>SDK</b> &amp; <b>Sdk</b> sdkx"
    long = Hit("人脸", Side.ADDED, "甲" * 500 + "人脸" + "乙" * 500)
    quoted = quote(long)
    assert "<b>人脸</b>" in quoted and quoted.startswith("…") and quoted.endswith("…")
    assert len(quoted) < 260
