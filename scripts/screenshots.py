"""Regenerate the README's screenshots from the demo: the diff page, the alert as Telegram shows it, and
the home page (on a desktop, and on a phone in dark mode).

.venv/bin/python scripts/screenshots.py      (needs Debian's chromium and a CJK font: the test command
                                              installs both)
"""

import html
import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.demo import prepare_demo
from app.service import make_web_app
from app.settings import Settings
from scraping.browser import CHROMIUM_ARGS

PUBLIC_URL = "https://policywatch.example.org"
# The scraping browser's flags, less its dead-end proxy and resolver: this one must reach the demo.
ARGS = [arg for arg in CHROMIUM_ARGS if not arg.startswith(("--proxy", "--host-resolver-rules"))]
IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
BUBBLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; padding: 24px; background: #c9d6b5; font: 15px/1.45 "WenQuanYi Micro Hei", sans-serif; }}
.bubble {{ max-width: 560px; background: #fff; border-radius: 12px; padding: 10px 14px; white-space: pre-wrap;
          box-shadow: 0 1px 2px rgba(0,0,0,.2); }}
.bubble a {{ color: #2678b6; text-decoration: none; }}
.buttons {{ max-width: 588px; display: flex; gap: 4px; margin-top: 4px; }}
.buttons span {{ flex: 1; text-align: center; background: rgba(0,0,0,.25); color: #fff; border-radius: 8px;
                padding: 8px; }}
</style></head><body><div class="bubble">{text}</div><div class="buttons">{buttons}</div></body></html>"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    settings = Settings(OPENAI_API_KEY=None)
    port = free_port()
    demo = prepare_demo(settings, PUBLIC_URL)  # a public address, as in production: the alert gets buttons
    app = make_web_app(demo.settings, demo.engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    IMAGES.mkdir(parents=True, exist_ok=True)
    buttons = "".join(f"<span>{html.escape(label)}</span>" for label in demo.buttons)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(demo.diff_url.replace(PUBLIC_URL, f"http://127.0.0.1:{port}") + "?lang=zh")
        page.locator("tr.modified").first.scroll_into_view_if_needed()
        page.screenshot(path=IMAGES / "diff-page.png")
        base = f"http://127.0.0.1:{port}"
        home = browser.new_page(viewport={"width": 1100, "height": 640}, locale="zh-CN")
        home.goto(base + "/?lang=zh")
        home.screenshot(path=IMAGES / "home.png")
        phone = browser.new_context(
            viewport={"width": 390, "height": 760}, locale="en-US", color_scheme="dark", device_scale_factor=1
        ).new_page()
        phone.goto(base + "/?lang=en")
        phone.screenshot(path=IMAGES / "home-phone-dark.png")
        bubble = browser.new_page(viewport={"width": 680, "height": 400}, device_scale_factor=1)
        bubble.set_content(BUBBLE.format(text=demo.alert_html, buttons=buttons))
        bubble.screenshot(path=IMAGES / "alert.png", full_page=True)
        browser.close()
    server.should_exit = True
    print(f"wrote diff-page.png, alert.png, home.png and home-phone-dark.png in {IMAGES}")


if __name__ == "__main__":
    main()
