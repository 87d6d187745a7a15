"""A tracked page never names its platform after a catalog one: /follow of the catalog name still works."""

from tests.bot import test_tracking
from tests.people import person
from tests.servers import Page, PageServer

make_bot = test_tracking.make_bot  # the fixture

POSING = test_tracking.ENGLISH_POLICY.replace(b"Privacy Policy | Example Bank", "隐私政策 | 小红书".encode())


async def test_a_page_titled_as_a_catalog_platform_leaves_follow_of_it_working(
    make_bot,
    telegram,
    platforms,
    page_server: PageServer,
):
    await make_bot()
    url = page_server.serve("/legal/privacy", Page(POSING))
    stranger, someone = person(telegram, "en"), person(telegram, "en")
    (preview,) = await stranger.say(f"/track {url}")
    _, (tracked,) = await stranger.press(preview, "✅ Track", replies=1)
    assert tracked.text.startswith("✅ Now tracking 127.0.0.1: ")  # the site, never the page's title
    (followed,) = await someone.say("/follow 小红书")
    assert followed.text.startswith("✅ You now follow Xiaohongshu")
    assert telegram.errors == []
