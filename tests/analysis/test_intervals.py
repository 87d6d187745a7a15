"""Check intervals as people type them: positive, at most 30 days, never an overflow."""

from datetime import timedelta

import pytest

from analysis.dates import MAX_INTERVAL, MIN_INTERVAL, check_interval, parse_duration, parse_interval


@pytest.mark.parametrize(("typed", "seconds"), [("1s", 1), ("90s", 90), ("6h", 21_600), ("30d", 2_592_000)])
def test_intervals_from_one_second_to_thirty_days(typed, seconds):
    assert parse_interval(typed) == timedelta(seconds=seconds)
    assert (timedelta(seconds=1), timedelta(days=30)) == (MIN_INTERVAL, MAX_INTERVAL)


@pytest.mark.parametrize("typed", ["0s", "0d", "31d", "2592001s", "999999999d"])
def test_intervals_out_of_bounds_are_refused(typed):
    with pytest.raises(ValueError, match="an interval must be between 1s and 30d"):
        parse_interval(typed)


def test_a_duration_too_long_for_timedelta_is_a_value_error_not_an_overflow():
    with pytest.raises(ValueError, match="too long a duration"):
        parse_duration("9999999999999d")  # timedelta itself overflows past 999,999,999 days
    with pytest.raises(ValueError, match="not a duration") as error:
        parse_duration("9" * 5_000 + "d")
    assert len(str(error.value)) < 200


def test_check_interval_bounds_a_timedelta_from_anywhere():
    assert check_interval(timedelta(hours=6)) == timedelta(hours=6)
    with pytest.raises(ValueError, match="not 0 seconds"):
        check_interval(timedelta(0))
    with pytest.raises(ValueError, match="between 1s and 30d"):
        check_interval(timedelta(days=-1))
