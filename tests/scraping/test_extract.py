"""HTML to clean text: the seed pages, site furniture, normalization, hostile and broken markup."""

import pytest

from scraping.errors import ExtractError
from scraping.extract import extract_body, extract_html
from scraping.text import normalize_line, normalize_text
from tests.pages import SEED_NEW, SEED_OLD, policy_page, policy_pdf, seed_text


@pytest.mark.parametrize("seed", [SEED_OLD, SEED_NEW])
def test_seed_page_extracts_to_the_seed_text_line_for_line(seed):
    text = seed_text(seed)
    extracted = extract_html(policy_page(text))
    assert extracted == normalize_text(text.split("\n"))
    assert len(extracted.split("\n")) == 424


def test_furniture_scripts_and_cookie_banner_stay_out():
    extracted = extract_html(policy_page("隐私政策\n\n第一条 我们收集的信息"))
    assert extracted == "隐私政策\n\n第一条 我们收集的信息"
    for noise in ["APP下载", "版权所有", "Cookie", "__APP_STATE__", "pageview"]:
        assert noise not in extracted


def test_link_targets_and_markup_never_enter_the_text():
    page = '<main><p>请见<a href="/p?sid=8f3a9c&amp;t=171">《隐私政策》</a><b>加粗</b>内容</p></main>'
    assert extract_html(page) == "请见《隐私政策》加粗内容"


def test_whitespace_and_unicode_are_normalized_without_changing_wording():
    page = "<main><p>\u3000第一段\u00a0内容\u200b，全角：ＡＢＣ１２３  </p><p>  second\tline </p></main>"
    assert extract_html(page) == "第一段 内容,全角:ABC123\nsecond line"


def test_lists_tables_and_line_breaks_keep_reading_order():
    page = """<main><h2>三、共享</h2><ul><li>合作方<li>关联方</ul>
    <table><tr><th>SDK名称</th><th>用途</th></tr><tr><td>极光推送</td><td>消息推送</td></tr></table>
    <p>第一行<br>第二行</p><div><div>嵌套段落</div></div></main>"""
    assert extract_html(page).split("\n") == [
        "三、共享",
        "合作方",
        "关联方",
        "SDK名称",
        "用途",
        "极光推送",
        "消息推送",
        "第一行",
        "第二行",
        "嵌套段落",
    ]


def test_select_and_remove_selectors_from_the_catalog():
    page = '<div class="x">菜单</div><div class="policy-content"><p>正文</p><p class="ad">广告</p></div>'
    assert extract_html(page, select=[".policy-content"], remove=[".ad"]) == "正文"


def test_a_selector_that_matches_nothing_is_an_error():
    with pytest.raises(ExtractError, match="matched nothing"):
        extract_html("<main><p>正文</p></main>", select=[".policy-content"])


@pytest.mark.parametrize(
    "page", ["", "   ", "<html><body><nav>只有导航</nav><script>x()</script></body></html>"]
)
def test_a_page_without_policy_text_is_an_error(page):
    with pytest.raises(ExtractError):
        extract_html(page)


def test_hostile_and_broken_markup_is_text_only():
    page = (
        "<main><p>a<script>alert(1)</script>b<p>unclosed <b>bold <i>italic</main><style>p{}</style><!-- x -->"
    )
    assert extract_html(page) == "ab\nunclosed bold italic"


def test_plain_text_and_gbk_bodies():
    text = "隐私政策\r\n\r\n\r\n更新日期:2025年05月19日\r\n"
    assert extract_body(text.encode("gb18030"), "text/plain; charset=gbk", [], []) == (
        "隐私政策\n\n更新日期:2025年05月19日"
    )
    page = policy_page("个人信息保护政策\n生效日期:2025年05月25日", charset="gbk").encode("gb18030")
    assert extract_body(page, "text/html", [], []) == "个人信息保护政策\n生效日期:2025年05月25日"


def test_a_chinese_pdf_policy_extracts_line_by_line():
    text = seed_text(SEED_OLD)
    extracted = extract_body(policy_pdf(text), "application/pdf", [], [])
    expected = [normalize_line(line) for line in text.split("\n") if line]
    assert [line for line in extracted.split("\n") if line] == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"%PDF-1.7\nthis is not really a PDF", "not a readable PDF"),
        (policy_pdf(""), "no extractable text"),
        (policy_pdf("隐私政策\n" + "\ufffd" * 40), "mostly undecodable glyphs"),
    ],
)
def test_unusable_pdfs_are_errors(body, reason):
    with pytest.raises(ExtractError, match=reason):
        extract_body(body, "application/octet-stream", [], [])


def test_a_real_latin_1_page_still_decodes_as_latin_1():
    page = "<main><p>Politique de confidentialité : données</p></main>".encode("cp1252")
    assert (
        extract_body(page, "text/html; charset=iso-8859-1", [], [])
        == "Politique de confidentialité : données"
    )


def test_a_header_inside_the_main_content_keeps_the_title_and_date():
    page = (
        "<header><a href='/'>Home</a></header><main><header><h1>Privacy Policy</h1>"
        "<p>Last updated: May 22, 2024</p></header><p>We collect your email.</p></main><footer>©</footer>"
    )
    assert extract_html(page) == "Privacy Policy\nLast updated: May 22, 2024\nWe collect your email."


def test_dialogs_breadcrumbs_and_a_stray_title_stay_out():
    page = (
        '<main><div class="breadcrumb">首页 » 隐私政策</div><title>adopte</title><p>正文</p>'
        '<div class="modal modal-v4"><h2>服务条款</h2><button>返回</button></div>'
        "<div role='dialog'><p>请先登录</p></div></main>"
    )
    assert extract_html(page) == "正文"
