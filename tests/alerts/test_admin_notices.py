"""What the admins read when a document keeps failing: counts in the right form in each language."""

from alerts.text import admin_failing_message


def test_one_failed_check_is_singular_in_english():  # FAILURE_ALERT_AFTER=1
    one = admin_failing_message("zeekr", "terms", 1, [], "en")
    assert one.splitlines()[0] == "⚠️ zeekr/terms failed 1 check in a row:"
    assert "failed 3 checks in a row:" in admin_failing_message("zeekr", "terms", 3, [], "en")
    assert "连续 1 次检查失败:" in admin_failing_message("zeekr", "terms", 1, [], "zh")
