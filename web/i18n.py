"""The interface in Chinese and English: from ?lang=, then the lang cookie, then Accept-Language."""

from collections.abc import Callable

from starlette.requests import Request

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "site": {"zh": "隐私政策观察", "en": "PolicyWatch"},
    "tagline": {
        "zh": "平台隐私政策的每一个版本与每一处变化",
        "en": "Every version and every change of platforms' privacy policies",
    },
    "search": {"zh": "搜索平台(中文、英文、拼音)", "en": "Search platforms (name, alias, pinyin)"},
    "search_button": {"zh": "搜索", "en": "Search"},
    "back_home": {"zh": "← 返回首页", "en": "← Back to home"},
    "platform": {"zh": "平台", "en": "Platform"},
    "document": {"zh": "文件", "en": "Document"},
    "last_change": {"zh": "最近变化", "en": "Last change"},
    "no_change_yet": {"zh": "暂无变化", "en": "no change yet"},
    "no_version_yet": {"zh": "尚未抓取", "en": "not fetched yet"},
    "versions": {"zh": "版本", "en": "Versions"},
    "stated_update": {"zh": "政策更新日期", "en": "Stated update date"},
    "stated_effective": {"zh": "生效日期", "en": "Effective date"},
    "first_seen": {"zh": "首次发现", "en": "First seen"},
    "change_size": {"zh": "变化", "en": "Change"},
    "unmeasured": {"zh": "变化", "en": "changes"},
    "baseline": {"zh": "首个版本", "en": "first version"},
    "revert": {"zh": "恢复为旧版本", "en": "back to an earlier version"},
    "large_change": {"zh": "大幅改写", "en": "large rewrite"},
    "compare_title": {"zh": "版本对比", "en": "Compare versions"},
    "compare_intro": {
        "zh": "查看政策在不同版本之间的内容变化",
        "en": "See how the policy changed between two versions",
    },
    "compare_versions": {"zh": "选择两个版本", "en": "Pick two versions"},
    "compare_dates": {"zh": "或输入两个日期", "en": "or type two dates"},
    "compare_button": {"zh": "对比", "en": "Compare"},
    "previous_version": {"zh": "上一个版本", "en": "Previous version"},
    "current_version": {"zh": "当前版本", "en": "Current version"},
    "deleted": {"zh": "删除的内容", "en": "Deleted"},
    "added": {"zh": "新增的内容", "en": "Added"},
    "modified": {"zh": "修改的内容", "en": "Modified"},
    "moved": {"zh": "移动", "en": "moved"},
    "stats": {
        "zh": "新增 {added} 段,删除 {deleted} 段,修改 {modified} 段;插入 {inserted} 字,删除 {removed} 字",
        "en": "{added} paragraphs added, {deleted} deleted, {modified} modified; "
        "{inserted} characters inserted, {removed} deleted",
    },
    "no_differences": {"zh": "两个版本内容相同", "en": "The two versions are identical"},
    "unchanged_lines": {"zh": "{count} 行未变化", "en": "{count} unchanged lines"},
    "first_change": {"zh": "跳到第一处变化", "en": "Jump to the first change"},
    "prev_change": {"zh": "上一处变化", "en": "previous change"},
    "next_change": {"zh": "下一处变化", "en": "next change"},
    "full_text": {"zh": "全文", "en": "full text"},
    "report": {"zh": "AI 智能分析", "en": "AI analysis"},
    "report_automatic": {"zh": "自动分析(未使用 AI)", "en": "Automatic analysis (no AI)"},
    "severity": {"zh": "严重程度", "en": "Severity"},
    "severity_none": {"zh": "无实质变化", "en": "none"},
    "severity_minor": {"zh": "轻微", "en": "minor"},
    "severity_moderate": {"zh": "中等", "en": "moderate"},
    "severity_major": {"zh": "重大", "en": "major"},
    "overall": {"zh": "总体评估", "en": "Overall assessment"},
    "details": {"zh": "详细变更点", "en": "Detailed changes"},
    "impact": {"zh": "潜在影响", "en": "Potential impact"},
    "conclusion": {"zh": "结论", "en": "Conclusion"},
    "actions": {"zh": "建议", "en": "Suggested actions"},
    "feed": {"zh": "订阅 (Atom)", "en": "Feed (Atom)"},
    "not_found": {"zh": "找不到页面", "en": "Page not found"},
    "not_found_help": {
        "zh": "没有这个平台或版本。可以在首页搜索平台,或从平台页面选择版本。",
        "en": "There is no such platform or version. Search for a platform on the home page, "
        "or pick a version on its platform page.",
    },
    "bad_request": {"zh": "无法对比", "en": "Cannot compare"},
    "switch_language": {"zh": "English", "en": "中文"},
}


DOCUMENT_KINDS: dict[str, dict[str, str]] = {
    "privacy_policy": {"zh": "隐私政策", "en": "Privacy policy"},
    "terms": {"zh": "用户协议", "en": "Terms of service"},
    "children_privacy": {"zh": "儿童隐私政策", "en": "Children's privacy policy"},
    "sdk_list": {"zh": "第三方SDK清单", "en": "Third-party SDK list"},
    "permission_list": {"zh": "应用权限清单", "en": "App permission list"},
}


def kind_namer(language: str) -> Callable[[str], str]:
    """``kind_name(kind)``: a document kind in words, or as it is when unknown."""

    def kind_name(kind: str) -> str:
        return DOCUMENT_KINDS.get(kind, {}).get(language, kind)

    return kind_name


def pick_language(request: Request) -> str:
    """``zh`` or ``en`` for this request."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def translator(language: str):
    """``t(key, **values)`` for templates."""

    def translate(key: str, **values: object) -> str:
        text = MESSAGES[key][language]
        return text.format(**values) if values else text

    return translate
