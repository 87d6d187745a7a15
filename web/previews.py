"""What a shared link previews as (OpenGraph and Twitter card meta) and each page's meta description.

Titles read "极氪 · 隐私政策 · 2025-11-10 → 2025-12-31"; descriptions give the change's headline and severity,
in the page's language. ``og:url`` is the page's canonical URL on PUBLIC_URL (see base.html).
"""

from dataclasses import dataclass

from i18n import kind_name, say
from storage.models import Platform, Version
from web.summaries import Summary


@dataclass(frozen=True)
class Preview:
    title: str
    description: str


def platform_name(platform: Platform, language: str) -> str:
    return platform.name_zh if language == "zh" else platform.name_en


def _day(version: Version) -> str:
    return version.first_seen_at.strftime("%Y-%m-%d")


def glance(summary: Summary, language: str) -> str:
    """ "运营主体变更(严重程度:轻微)": a change's headline and severity in one line."""
    severity = say(language, f"severity.{summary.severity.value}")
    return say(language, "web.preview_description", headline=summary.headline, severity=severity)


def change_title(platform: Platform, kind: str, old: Version, new: Version, language: str) -> str:
    names = (platform_name(platform, language), kind_name(language, kind))
    return f"{names[0]} · {names[1]} · {_day(old)} → {_day(new)}"


def version_title(platform: Platform, kind: str, version: Version, language: str) -> str:
    return f"{platform_name(platform, language)} · {kind_name(language, kind)} · {_day(version)}"


def change_preview(
    platform: Platform, kind: str, old: Version, new: Version, summary: Summary | None, language: str
) -> Preview:
    title = change_title(platform, kind, old, new, language)
    return Preview(title, glance(summary, language) if summary else title)
