"""Volatile fragments (counters, relative dates, tokens) leave the text; the policy's own words never do."""

import pytest

from scraping.noise import strip_noise


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("本页阅读量: 12345", "本页"),
        ("浏览次数 88 次", "次"),
        ("12,345 views · policy", "· policy"),
        ("Visitors: 1,024", ""),
        ("更新于3天前", "更新于"),
    ],
)
def test_counters_and_relative_dates_are_removed(line, kept):
    assert strip_noise(line) == kept


@pytest.mark.parametrize(
    "line",
    [
        "Plainview, New York NY-11803;",  # a town ending in "view", then a comma (123Greetings' address)
        "Section 4: we share it with our users, visitors and customers.",
        "Reviews 5 and previews 2 are kept as written.",
        "You can also post your views to our office at:",
    ],
)
def test_words_that_look_like_counters_are_kept(line):
    assert strip_noise(line) == line
