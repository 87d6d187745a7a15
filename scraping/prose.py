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


def _measure(
    root: lxml.html.HtmlElement,
) -> tuple[dict[lxml.html.HtmlElement, int], dict[lxml.html.HtmlElement, int]]:
    """Every element's characters of text and those inside links, counted once from the leaves up.

    One pass over the elements, whatever the nesting (a hostile page 250 levels deep costs what a flat one
    does); whitespace at the edges of each text piece is not counted; a child's tail belongs to its parent.
    """
    chars: dict[lxml.html.HtmlElement, int] = {}
    in_links: dict[lxml.html.HtmlElement, int] = {}
    for element in reversed(list(root.iter(etree.Element))):  # every descendant comes before its ancestors
        count = len(element.text.strip()) if element.text else 0
        linked = 0
        for child in element:
            if child.tail:
                count += len(child.tail.strip())
            if (inner := chars.get(child)) is not None:  # comments and instructions are not measured
                count += inner
                linked += in_links[child]
        chars[element] = count
        in_links[element] = count if element.tag == "a" else linked
    return chars, in_links


def drop_link_blocks(root: lxml.html.HtmlElement) -> None:
    """Leave out the blocks beside the policy's text that are mostly links (menus, pickers, link footers).

    From ``root`` down, the child holding nearly all its parent's text is followed; at each step its
    siblings that are mostly links are dropped. Where no child holds the text, nothing more is dropped.
    """
    chars, in_links = _measure(root)
    node = root
    while chars[node]:
        children = [child for child in node if isinstance(child.tag, str)]
        holder = max(children, key=chars.__getitem__, default=None)
        if holder is None or holder.tag in _PARAGRAPH_LEVEL or chars[holder] < CORE_SHARE * chars[node]:
            return
        for child in children:
            if child is not holder and chars[child] and in_links[child] >= LINK_SHARE * chars[child]:
                child.drop_tree()
        node = holder
