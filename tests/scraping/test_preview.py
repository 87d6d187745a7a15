"""Finding a policy from a homepage: links that name a privacy policy first, then terms."""

from scraping.preview import MAX_LINKS, policy_links

PAGE = "https://www.example.cn/index.html"


def test_privacy_links_come_first_then_terms_each_address_once():
    links = (
        ("用户协议", "/agreement"),
        ("关于我们", "/about"),
        ("《隐私政策》", "/legal/yinsi.html?from=footer"),
        ("个人信息保护政策", "https://m.example.cn/pi.html"),
        ("Privacy", "/legal/yinsi.html#top"),
        ("首页", "/index.html"),
        ("", "javascript:void(0)"),
        ("Privacy Notice", "mailto:dpo@example.cn"),
        ("服务条款", "/tos"),
    )
    found = policy_links(PAGE, links)
    assert [(link.text, link.url, link.kind) for link in found] == [
        ("《隐私政策》", "https://www.example.cn/legal/yinsi.html", "privacy_policy"),
        ("个人信息保护政策", "https://m.example.cn/pi.html", "privacy_policy"),
        ("用户协议", "https://www.example.cn/agreement", "terms"),
        ("服务条款", "https://www.example.cn/tos", "terms"),
    ]


def test_a_page_full_of_links_offers_a_few():
    links = tuple((f"Privacy Statement {n}", f"/p{n}") for n in range(20))
    assert len(policy_links(PAGE, links)) == MAX_LINKS
