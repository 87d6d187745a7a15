"""A page cannot disguise its policy with bidi controls or tag characters: clean text has none."""

from scraping.extract import extract_body

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
TAGS = "".join(chr(code) for code in range(0xE0000, 0xE0080))


def test_html_policy_text_loses_every_bidi_control_and_tag_character():
    page = (
        "<html><body><main><h1>隐私政策</h1>"
        f"<p>我们\u202e不会\u202c出售{TAGS}您的个人信息。</p>"
        f"<p>We \u2067never\u2069 sell{BIDI} your data.</p></main></body></html>"
    )
    text = extract_body(page.encode(), "text/html; charset=utf-8", [], [])
    assert text == "隐私政策\n我们不会出售您的个人信息。\nWe never sell your data."


def test_plain_text_policy_loses_them_too():
    text = extract_body(f"第一条\u200f{TAGS}\n第二条\u202d".encode(), "text/plain; charset=utf-8", [], [])
    assert text == "第一条\n第二条"
