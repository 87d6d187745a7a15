"""Reading a page without a selector: menus in plain <div>s beside the policy stay out, the policy whole."""

from scraping.extract import extract_html

ARTICLE = "我们会按照本政策收集、使用和保护您的个人信息,并告知您相关的权利。"
POLICY = "".join(f"<p>第{n}条 {ARTICLE}</p>" for n in range(1, 30))
MENU = '<div class="navbar"><a href="/">首页</a><a href="/faq">常见问题</a><a href="/apps">下载</a></div>'
FOOTER = (
    '<div class="footer_wrap"><h5>关于</h5><a href="/about">关于我们</a><a href="/jobs">加入我们</a>'
    '<a href="/press">媒体报道</a><a href="/contact">联系方式</a>© 2025</div>'
)


def page(content: str) -> str:
    wrapped = f"<div class='wrap'><div class='page'>{content}</div></div>"
    return f"<html><body>{MENU}{wrapped}{FOOTER}</body></html>"


def test_menus_and_link_footers_in_plain_divs_stay_out():
    lines = extract_html(page(f"<h1>隐私政策</h1><div id='text'>{POLICY}</div>")).split("\n")
    assert lines[0] == "隐私政策" and lines[1].startswith("第1条") and lines[-1].startswith("第29条")
    for chrome in ["首页", "常见问题", "下载", "关于", "关于我们", "加入我们", "© 2025"]:
        assert chrome not in lines


def test_a_table_of_contents_inside_the_policy_stays():
    toc = '<ul class="toc"><li><a href="#1">第一章 收集</a></li><li><a href="#2">第二章 使用</a></li></ul>'
    lines = extract_html(page(f"<div id='text'>{toc}{POLICY}</div>")).split("\n")
    assert lines[:2] == ["第一章 收集", "第二章 使用"]


def test_prose_beside_the_policy_stays_and_only_link_blocks_go():
    beside = "<p>更新日期:2025年5月19日</p><div class='share'><a href='/wx'>分享到微信</a></div>"
    lines = extract_html(page(f"{beside}<div id='text'>{POLICY}</div>")).split("\n")
    assert lines[0] == "更新日期:2025年5月19日" and "分享到微信" not in lines


def test_a_page_without_one_main_block_is_read_whole():
    halves = f"<div>{POLICY}</div><div>{POLICY.replace('第', '附')}</div>"
    lines = extract_html(f"<html><body>{MENU}{halves}</body></html>").split("\n")
    # no block holds the policy, so nothing is judged navigation: the menu stays, as it did before
    assert lines[0] == "首页常见问题下载" and len(lines) == 1 + 2 * 29


def test_a_page_nested_as_deep_as_the_parser_goes_keeps_its_text_and_loses_its_menus():
    level = '<div><div class="menu"><a href="/a">首页</a><a href="/b">下载</a></div>'
    nested = f"{level * 200}<div>{POLICY}</div>{'</div>' * 200}"
    lines = extract_html(f"<html><body>{nested}</body></html>").split("\n")
    assert lines == [f"第{n}条 {ARTICLE}" for n in range(1, 30)]
