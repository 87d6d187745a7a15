"""The policy on a page read without a selector: the block holding its prose, not the link blocks beside it.

Pages without a <nav>, <header> or <footer> (Bootstrap and Drupal sites, apps rendered by scripts) wrap
their menus, language pickers, sidebars and link footers in plain <div>s. What gives them away is that
their text is mostly links, while a policy's is mostly prose: so the prose is followed down from the
page's root to the innermost block that holds nearly all of it, and along the way every block beside that
path whose text is mostly links is left out. Nothing inside the policy's own block is ever left out (its
table of contents stays), nor any block beside it that carries prose (a title, a "last updated" line).
"""

import lxml.html
from lxml import etree

# A child holding this share of its parent's text holds the policy.
CORE_SHARE = 0.8
# A block beside the policy whose text is at least this share links is navigation.
LINK_SHARE = 0.5
# The prose is not followed into a single paragraph, list or table: their neighbours are the policy too.
_PARAGRAPH_LEVEL = frozenset("p li ul ol dl dd dt h1 h2 h3 h4 h5 h6 pre blockquote table".split())


# Characters of an element's text, runs of whitespace counted as one (counted by libxml2, not in Python).
_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")
_LINK_TEXTS = etree.XPath(".//a//text()")


def _length(element: lxml.html.HtmlElement) -> int:
    return int(_TEXT_LENGTH(element))


def _holder(node: lxml.html.HtmlElement, total: int) -> tuple[lxml.html.HtmlElement, int] | None:
    """The child holding CORE_SHARE of ``node``'s text, and its length (others summed until none can)."""
    seen = 0
    for child in node:
        if not isinstance(child.tag, str):
            continue
        length = _length(child)
        if length >= CORE_SHARE * total:
            return child, length
        seen += length
        if seen > (1 - CORE_SHARE) * total:
            return None
    return None


def _is_navigation(element: lxml.html.HtmlElement) -> bool:
    """Text that is mostly links: a menu, a language picker, a footer of links."""
    chars = _length(element)
    return chars > 0 and sum(len(text.strip()) for text in _LINK_TEXTS(element)) >= LINK_SHARE * chars


def drop_link_blocks(root: lxml.html.HtmlElement) -> None:
    """Leave out the blocks beside the policy's text that are mostly links (menus, pickers, link footers).

    From ``root`` down, the child holding nearly all its parent's text is followed; at each step its
    siblings that are mostly links are dropped. Where no child holds the text, nothing more is dropped.
    """
    node, total = root, _length(root)
    while total and (found := _holder(node, total)) is not None and found[0].tag not in _PARAGRAPH_LEVEL:
        holder, total = found
        for sibling in [*holder.itersiblings(preceding=True), *holder.itersiblings()]:
            if isinstance(sibling.tag, str) and _is_navigation(sibling):
                sibling.drop_tree()
        node = holder
