"""Web pages: the text a browser shows, one block per paragraph or table row, page chrome dropped."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from retrieval.tables import join_cells

_HTML_NOISE = ["head", "script", "style", "noscript", "template", "nav", "header", "footer"]
# Tags that start and end a block of text; everything else (span, a, strong...) runs inline.
_HTML_BREAKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre", "br", "hr"}
    | {"html", "body", "main", "article", "section", "aside", "div", "form", "figure", "address"}
    | {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "caption", "td", "th", "figcaption"}
)
_HTML_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


def _html_text(text: str) -> str:
    """Collapse whitespace as a browser does; HTML whitespace is ASCII, so U+3000 is kept."""
    return _HTML_WHITESPACE.sub(" ", text)


def _collect_runs(element: Tag, runs: list[list[str]]) -> None:
    """Append each text node to the current run; block tags and table rows start new runs.

    Every text node is visited once, so nested blocks never repeat their text.
    """
    for child in element.children:
        if isinstance(child, Tag):
            if child.name == "tr":
                cells = child.find_all(["td", "th"], recursive=False)
                runs.extend(([join_cells(_html_text(cell.get_text()) for cell in cells)], []))
            elif child.name in _HTML_BREAKS:
                runs.append([])
                _collect_runs(child, runs)
                runs.append([])
            else:
                _collect_runs(child, runs)
        # Exact type: subclasses are comments, doctypes, CDATA and processing instructions.
        elif type(child) is NavigableString:
            runs[-1].append(child)


def read_html(data: bytes, name: str) -> list[str]:
    # Given bytes, BeautifulSoup honours the page's declared charset.
    soup = BeautifulSoup(data, "html.parser")
    for noise in soup.find_all(_HTML_NOISE):
        noise.decompose()
    runs: list[list[str]] = [[]]
    _collect_runs(soup, runs)
    return [_html_text("".join(run)) for run in runs]
