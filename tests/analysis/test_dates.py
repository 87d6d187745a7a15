"""Stated dates in policy text, and dates and durations as people type them."""

from datetime import date, timedelta

import pytest

from analysis.dates import DateInputError, parse_duration, parse_user_date, stated_dates
from tests.pages import SEED_NEW, SEED_OLD, seed_text


@pytest.mark.parametrize("seed", [SEED_OLD, SEED_NEW])
def test_seed_versions_state_their_update_and_effective_dates(seed):
    assert stated_dates(seed_text(seed)) == (date(2025, 5, 19), date(2025, 5, 25))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("更新日期：2024年3月1日\n生效日期：2024年3月8日", (date(2024, 3, 1), date(2024, 3, 8))),
        (
            "本政策更新于2024-03-01，自2024/03/08起生效。生效时间:2024.03.08",
            (date(2024, 3, 1), date(2024, 3, 8)),
        ),
        ("发布日期: 2023年12月5号", (date(2023, 12, 5), None)),
        ("最近更新日期 2022 年 1 月 2 日", (date(2022, 1, 2), None)),
        ("Last updated: January 5, 2025. Effective as of 1 Feb 2025.", (date(2025, 1, 5), date(2025, 2, 1))),
        ("Last Update: December 22, 2025", (date(2025, 12, 22), None)),  # DeepSeek's wording
        (
            "Effective Date: Sept. 3rd, 2024 | Last Modified on 2024-08-30",
            (date(2024, 8, 30), date(2024, 9, 3)),
        ),
        ("We updated our policy. Effective date: 2025-02-30", (None, None)),
        ("没有日期的政策", (None, None)),
    ],
)
def test_stated_dates_in_common_chinese_and_english_forms(text, expected):
    assert stated_dates(text) == expected


@pytest.mark.parametrize(
    "typed", ["2025-11-10", "2025/11/10", "2025.11.10", "20251110", "2025年11月10日", " 2025-11-10 "]
)
def test_typed_dates(typed):
    assert parse_user_date(typed) == date(2025, 11, 10)


def test_impossible_and_malformed_typed_dates_say_which():
    with pytest.raises(DateInputError, match="not a real date"):
        parse_user_date("2025-02-30")
    with pytest.raises(DateInputError, match="not a date; use one of"):
        parse_user_date("yesterday")
    with pytest.raises(DateInputError) as error:
        parse_user_date("9" * 10_000)
    assert len(str(error.value)) < 200


@pytest.mark.parametrize(("typed", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400)])
def test_durations(typed, seconds):
    assert parse_duration(typed) == timedelta(seconds=seconds)


@pytest.mark.parametrize("typed", ["", "6", "h", "1w", "-5m", "1.5h"])
def test_bad_durations(typed):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(typed)
