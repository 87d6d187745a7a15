"""Realistic policy pages built from the seed texts: nav bar, header, footer, scripts, cookie banner."""

import html
import io
import json
import re
import secrets
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_OLD = FIXTURES / "zeekr_2025-11-10.txt"
SEED_NEW = FIXTURES / "zeekr_2025-12-31.txt"
CHANGED_LINE = 147
OLD_COMPANY, NEW_COMPANY = "浙江浩物网络科技有限公司", "浙江吉利汽车备件有限公司"

_SECTION = re.compile(r"^([一二三四五六七八九十]+、|\d+\.\S)")


def seed_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").rstrip("\n")


def _paragraph(line: str, index: int) -> str:
    if not line:
        return "<p><br></p>"
    escaped = html.escape(line)
    if index == 0:
        return f"<h1>{escaped}</h1>"
    if _SECTION.match(line):
        return f'<h2 class="section">{escaped}</h2>'
    return f"<p>{escaped}</p>"


def policy_page(text: str, *, title: str = "极氪APP个人信息保护政策", charset: str = "utf-8") -> str:
    """An HTML page whose policy content is ``text``, one block per line, inside site furniture."""
    body = "\n".join(_paragraph(line, i) for i, line in enumerate(text.split("\n")))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}"><title>{html.escape(title)}</title>
<style>.policy p {{ line-height: 1.8 }}</style>
<script>window.__APP_STATE__ = {{"user": null, "ab": "b"}};</script></head>
<body>
<header class="site-header"><a href="/">极氪</a>
<nav><ul><li><a href="/cars">车型</a></li><li><a href="/service">服务</a></li>
<li><a href="/app">APP下载</a></li></ul></nav>
</header>
<div id="cookie-consent">本网站使用Cookie以改善您的体验。<button>同意</button></div>
<main><article class="policy">
{body}
</article></main>
<footer><p>© 2025 浙江极氪智能科技有限公司 版权所有</p><a href="/privacy">隐私政策</a></footer>
<script src="/static/app.js"></script><script>track("pageview")</script>
</body></html>"""


def with_volatile_footer(page: str) -> str:
    """``page`` with a footer line that differs at every call: a generation time and a CSRF token, as many
    sites have."""
    stamp = f"{time.strftime('%Y-%m-%d %H:%M:%S')} · csrf={secrets.token_hex(16)}"
    return page.replace("</footer>", f"<p>页面生成于 {stamp}</p></footer>")


OLD_PAGE = policy_page(seed_text(SEED_OLD)).encode()
NEW_PAGE = policy_page(seed_text(SEED_NEW)).encode()


def policy_pdf(text: str) -> bytes:
    """A PDF of ``text``, one line per text line, in a CJK font every PDF reader knows (STSong-Light)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    lines = [line for line in text.split("\n") if line]
    for start in range(0, len(lines), 40):
        pdf.setFont("STSong-Light", 9)
        for row, line in enumerate(lines[start : start + 40]):
            pdf.drawString(20, 800 - 19 * row, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def script_rendered_page(text: str) -> str:
    """A page whose policy text only exists after its JavaScript runs (as on many app sites)."""
    lines = json.dumps(text.split("\n"), ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>隐私政策</title></head>
<body><main id="app"></main>
<script>
for (const line of {lines}) {{
  const block = document.createElement("p");
  if (line) {{ block.textContent = line; }} else {{ block.appendChild(document.createElement("br")); }}
  document.getElementById("app").appendChild(block);
}}
</script></body></html>"""
