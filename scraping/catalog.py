"""The catalog of tracked platforms: a YAML file, validated whole at load."""

import logging
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import regex
import yaml
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from analysis.dates import check_interval, parse_interval

log = logging.getLogger(__name__)

_SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
_KIND = r"^[a-z][a-z0-9_]{0,62}$"


class CatalogError(Exception):
    """The catalog is broken; the message names the file, the entry and the field."""


def _check_selector(selector: str) -> str:
    try:
        CSSSelector(selector)
    except SelectorError as error:
        raise ValueError(f"{selector!r} is not a valid CSS selector ({error})") from None
    return selector


def _check_pattern(pattern: str) -> str:
    """A valid ``regex`` pattern (the module that runs them, with a time limit per page)."""
    try:
        regex.compile(pattern)
    except regex.error as error:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({error})") from None
    return pattern


def _as_interval(value: object) -> object:
    """A catalog duration (``6h``) parsed; ISO 8601 as stored (``PT6H``) and seconds left to pydantic."""
    return parse_interval(value) if isinstance(value, str) and not value.startswith("P") else value


def _is_hidden(char: str) -> bool:
    """Whitespace, control and format characters (zero-width, bidi): none belongs in a URL."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _check_url(url: str) -> str:
    """An absolute http(s) URL with a host, parsed (not prefix-matched), with nothing hidden in it."""
    shown = repr(url[:200])
    if any(_is_hidden(char) for char in url):
        raise ValueError(f"{shown} holds whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # the parser says so when the port is not a number from 0 to 65535
    except ValueError as error:
        raise ValueError(f"{shown} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise ValueError(f"{shown} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{shown} holds a user name or password; catalog URLs are public")
    return url


CssSelector = Annotated[str, AfterValidator(_check_selector)]
Pattern = Annotated[str, AfterValidator(_check_pattern)]
Interval = Annotated[timedelta, BeforeValidator(_as_interval), AfterValidator(check_interval)]
HttpUrl = Annotated[str, AfterValidator(_check_url)]


def _refuse_repeats(field: str, values: list[str]) -> None:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"{field} {', '.join(repeated)} appears more than once")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class _OptionFields(_Strict):
    """The settings a catalog document may give, shared by DocumentOptions and DocumentSpec."""

    select: tuple[CssSelector, ...] = ()
    remove: tuple[CssSelector, ...] = ()
    render: Literal["http", "browser"] = "http"
    interval: Interval | None = None
    ignore: tuple[Pattern, ...] = ()


class DocumentOptions(_OptionFields):
    """How a document is fetched, extracted and scheduled: its catalog settings, typed and frozen.

    Stored with the document as JSON (``stored()``) and read back once per check or schedule
    (``from_stored``), never key by key.
    """

    @property
    def in_browser(self) -> bool:
        return self.render == "browser"

    def stored(self) -> dict[str, Any]:
        """The JSON kept with the document: only what differs from the defaults."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> "DocumentOptions":
        """The options stored with a document; a value that cannot be read is left out, with a warning."""
        try:
            return cls.model_validate(stored)
        except ValidationError as error:
            unreadable = {str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}
            log.warning("unreadable document options (%s): using the defaults", ", ".join(sorted(unreadable)))
            return cls.model_validate({key: value for key, value in stored.items() if key not in unreadable})


class DocumentSpec(_OptionFields):
    """One document of a platform as the catalog describes it: its kind, its URL and its options."""

    kind: str = Field(pattern=_KIND)
    url: HttpUrl

    def options(self) -> DocumentOptions:
        """What extraction and scheduling need, without the kind and the URL."""
        return DocumentOptions.model_validate(self.model_dump(exclude={"kind", "url"}))


class PlatformSpec(_Strict):
    """A platform and its documents."""

    slug: str = Field(pattern=_SLUG)
    name: Names
    aliases: list[str] = []
    documents: list[DocumentSpec] = Field(min_length=1)

    @field_validator("documents")
    @classmethod
    def _one_document_per_kind(cls, documents: list[DocumentSpec]) -> list[DocumentSpec]:
        _refuse_repeats("kind", [document.kind for document in documents])
        return documents


class Catalog(_Strict):
    platforms: list[PlatformSpec] = Field(min_length=1)

    @field_validator("platforms")
    @classmethod
    def _unique_slugs(cls, platforms: list[PlatformSpec]) -> list[PlatformSpec]:
        _refuse_repeats("slug", [platform.slug for platform in platforms])
        return platforms


def _describe_location(raw: Any, location: tuple[int | str, ...]) -> str:
    """``platforms[3] (zeekr) documents[0].url`` for a pydantic error location."""
    parts: list[str] = []
    node = raw
    for step in location:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict) and "slug" in node:
                parts[-1] += f" ({node['slug']})"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def parse_catalog(source: str, path: Path) -> Catalog:
    """Validate catalog YAML text; errors name ``path``, the entry and the field."""
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CatalogError(f"{path}{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    except RecursionError:  # the YAML parser recurses once per level of nesting
        raise CatalogError(f"{path}: nested too deeply to be a catalog") from None
    try:
        return Catalog.model_validate(raw)
    except ValidationError as error:
        problems = [f"{path}: {_describe_location(raw, e['loc'])}: {e['msg']}" for e in error.errors()]
        raise CatalogError("\n".join(problems)) from None


def load_catalog(path: Path) -> Catalog:
    """Read and validate the catalog file."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the catalog: {error.strerror}") from None
    return parse_catalog(source, path)
