"""Named things in policy text that a change should highlight whole: company names, for now."""

import re

# A Chinese company name follows a function word, punctuation or 关联方/合作方/第三方, never starts with
# them, holds none of the small function words, and ends with its legal suffix:
# 极物商城由关联方「浙江浩物网络科技有限公司」负责运营.
_CHINESE_COMPANY = re.compile(
    r"(?:关联方|合作方|第三方|[由与和及或为是在向将对、,:;。“《(]|^)"
    r"(?P<name>(?!关联方|合作方|第三方)(?:(?![由与和及或的为是在向将对])[\u4e00-\u9fff]){2,30}?"
    r"(?:股份有限公司|有限责任公司|集团有限公司|有限公司|集团|公司))",
    re.MULTILINE,
)
_LATIN_COMPANY = re.compile(
    r"(?P<name>\b(?:[A-Z][\w&'-]*\s+){1,6}"
    r"(?:Inc\.|Ltd\.|LLC|L\.L\.C\.|Limited|GmbH|Corporation|Corp\.|Co\., Ltd\.|S\.A\.)|"
    r"\b(?:[A-Z][\w&'-]*\s+){0,5}[A-Z][\w&'-]*,\s(?:Inc\.|Ltd\.|LLC))"
)


def company_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of the company names in ``text``."""
    return [
        match.span("name")
        for pattern in (_CHINESE_COMPANY, _LATIN_COMPANY)
        for match in pattern.finditer(text)
    ]
