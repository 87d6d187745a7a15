"""The catalog: the bundled file loads; broken ones fail naming the file, the entry and the field."""

from pathlib import Path

import pytest

from app.settings import BUNDLED_CATALOG
from scraping.catalog import CatalogError, load_catalog, parse_catalog

PLATFORM = """
platforms:
  - slug: zeekr
    name: {zh: 极氪, en: ZEEKR}
    aliases: [jike]
    documents:
      - kind: privacy_policy
        url: https://www.zeekrlife.com/privacy
"""


def test_bundled_catalog_lists_at_least_30_platforms_with_unique_slugs():
    catalog = load_catalog(BUNDLED_CATALOG)
    slugs = [platform.slug for platform in catalog.platforms]
    assert len(slugs) >= 30
    assert len(set(slugs)) == len(slugs)
    for expected in ["zeekr", "wechat", "xiaohongshu", "deepseek", "telegram", "openai"]:
        assert expected in slugs
    assert all(document.url.startswith("https://") for p in catalog.platforms for document in p.documents)


def test_document_options_keep_only_what_was_set():
    source = (
        PLATFORM + '        select: [".policy"]\n        interval: 30m\n        ignore: ["访问量: \\\\d+"]\n'
    )
    document = parse_catalog(source, Path("c.yaml")).platforms[0].documents[0]
    assert document.options().stored() == {
        "select": [".policy"],
        "interval": "PT30M",
        "ignore": ["访问量: \\d+"],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("url: https://www.zeekrlife.com/privacy", "url: ftp://example.com/p"), "documents[0].url"),
        (("kind: privacy_policy", "kind: Privacy Policy"), "documents[0].kind"),
        (("aliases: [jike]", "aliases: [jike]\n    colour: red"), "colour: Extra inputs are not permitted"),
        (
            ("url: https", 'select: ["..bad"]\n        url: https'),
            "select[0]: Value error, '..bad' is not a valid CSS",
        ),
        (
            ("url: https", "interval: often\n        url: https"),
            "interval: Value error, 'often' is not a duration",
        ),
        (("url: https", "render: chrome\n        url: https"), "render: Input should be 'http' or 'browser'"),
        (("url: https", 'ignore: ["(unclosed"]\n        url: https'), "ignore[0]"),
        (("name: {zh: 极氪, en: ZEEKR}", "name: {zh: 极氪}"), "name.en: Field required"),
    ],
)
def test_broken_entries_name_file_entry_and_field(change, message):
    with pytest.raises(CatalogError) as error:
        parse_catalog(PLATFORM.replace(*change), Path("my-catalog.yaml"))
    text = str(error.value)
    assert text.startswith("my-catalog.yaml: platforms[0] (zeekr)")
    assert message in text


def test_duplicate_slugs_and_kinds_are_refused():
    with pytest.raises(CatalogError, match="slug zeekr appears more than once"):
        parse_catalog(PLATFORM + PLATFORM.replace("platforms:\n", ""), Path("c.yaml"))
    doubled = PLATFORM + "      - kind: privacy_policy\n        url: https://www.zeekrlife.com/other\n"
    with pytest.raises(CatalogError, match="kind privacy_policy appears more than once"):
        parse_catalog(doubled, Path("c.yaml"))


def test_invalid_yaml_and_missing_file(tmp_path):
    with pytest.raises(CatalogError, match=r"c.yaml line \d+: not valid YAML"):
        parse_catalog("platforms: [\n  - slug: a\n", Path("c.yaml"))
    with pytest.raises(CatalogError, match="cannot read the catalog"):
        load_catalog(tmp_path / "missing.yaml")
    with pytest.raises(CatalogError, match="platforms: Field required"):
        parse_catalog("{}", Path("c.yaml"))


def test_entries_corrected_from_open_terms_archive_declarations():
    documents = {
        (platform.slug, document.kind): document
        for platform in load_catalog(BUNDLED_CATALOG).platforms
        for document in platform.documents
    }
    assert documents["telegram", "privacy_policy"].select == (".tl_page_container",)
    assert documents["telegram", "terms"].url == "https://telegram.org/tos"
    assert documents["google", "privacy_policy"].select == ("div[role=article]",)
    assert documents["amazon", "privacy_policy"].render == "browser"
