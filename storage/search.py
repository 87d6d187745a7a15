"""Finding a platform by what people type: slug, Chinese or English name, alias or pinyin, fuzzily."""

import unicodedata

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from storage.models import Platform

FUZZY_CUTOFF = 75
MAX_QUERY_CHARS = 100


class PlatformLookupError(LookupError):
    """No single platform matches; ``candidates`` holds the closest ones (maybe none)."""

    def __init__(self, query: str, candidates: list[Platform], ambiguous: bool = False) -> None:
        self.query = query
        self.candidates = candidates
        self.ambiguous = ambiguous  # several platforms answer to exactly this name
        if candidates:
            names = ", ".join(f"{p.slug} ({p.name_zh} / {p.name_en})" for p in candidates)
            message = f"{query!r} matches several platforms: {names}"
        else:
            message = f"no platform matches {query!r}; `policywatch platforms` lists them all"
        super().__init__(message)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def search_keys(platform: Platform) -> set[str]:
    """Every folded spelling a person may use for the platform, pinyin of the Chinese name included."""
    from pypinyin import Style, lazy_pinyin  # here: its phrase dictionary takes half a second to load

    names = [platform.slug, platform.name_zh, platform.name_en, *platform.aliases]
    keys = {_fold(name) for name in names}
    keys.add(_fold("".join(lazy_pinyin(platform.name_zh))))
    keys.add(_fold("".join(lazy_pinyin(platform.name_zh, style=Style.FIRST_LETTER))))
    return {key for key in keys if key}


def _closeness(query: str, spelling: str, **_: object) -> float:
    """100 when the query is part of the spelling (小红 in 小红书), else their edit-distance similarity."""
    if len(query) >= 2 and query in spelling:
        return 100.0
    return fuzz.ratio(query, spelling)


def _platforms(session: Session, include_retired: bool) -> list[Platform]:
    query = select(Platform).order_by(col(Platform.slug))
    if not include_retired:
        query = query.where(col(Platform.retired_at).is_(None))
    return list(session.exec(query))


def _exact(platforms: list[Platform], folded: str) -> list[Platform]:
    """The platforms ``folded`` spells exactly; the catalog's alone when one is among them (a platform
    added by users is named by whoever added a page, so it never takes or blurs a catalog name)."""
    exact = [platform for platform in platforms if folded in search_keys(platform)]
    catalog = [platform for platform in exact if not platform.added_by_users]
    return catalog or exact


def find_platforms(
    session: Session, query: str, *, include_retired: bool = False, limit: int = 10
) -> list[Platform]:
    """Platforms matching ``query``: exact spellings first, else the closest fuzzy matches."""
    folded = _fold(query[:MAX_QUERY_CHARS])
    if not folded:
        return []
    platforms = _platforms(session, include_retired)
    exact = _exact(platforms, folded)
    if exact:
        return exact[:limit]
    keys = [search_keys(platform) for platform in platforms]
    choices = {(index, key): key for index, spellings in enumerate(keys) for key in spellings}
    scored = process.extract(folded, choices, scorer=_closeness, score_cutoff=FUZZY_CUTOFF, limit=None)
    ranked: list[Platform] = []
    for _key, _score, (index, _spelling) in scored:
        if platforms[index] not in ranked:
            ranked.append(platforms[index])
    return ranked[:limit]


def resolve_platform(session: Session, query: str, *, include_retired: bool = True) -> Platform:
    """The one platform ``query`` names; raises PlatformLookupError with suggestions otherwise."""
    found = find_platforms(session, query, include_retired=include_retired)
    folded = _fold(query[:MAX_QUERY_CHARS])
    exact = _exact(found, folded)
    if len(exact) == 1:
        return exact[0]
    if not exact and len(found) == 1:  # one close spelling, such as a typo
        return found[0]
    raise PlatformLookupError(query[:MAX_QUERY_CHARS], found[:5], ambiguous=len(exact) > 1)


def platforms_matching(session: Session, query: str | None, limit: int = 50) -> list[Platform]:
    """The platforms matching ``query``, or every active platform (by slug) when there is none."""
    return (
        find_platforms(session, query, limit=limit) if query else _platforms(session, include_retired=False)
    )


def platform_named(session: Session, name: str) -> Platform | None:
    """The active platform ``name`` spells exactly (slug, name, alias or pinyin), typos not forgiven."""
    folded = _fold(name[:MAX_QUERY_CHARS])
    exact = _exact(_platforms(session, include_retired=False), folded)
    return exact[0] if len(exact) == 1 else None
