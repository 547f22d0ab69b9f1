"""What Telegram checks in a ``sendMessage`` before delivering it: the HTML of ``parse_mode=HTML``
(only its tags, balanced; ``<``, ``>`` and ``&`` escaped everywhere else; only the named entities
``&lt; &gt; &amp; &quot;``) and the length of the text once parsed (4096 UTF-16 code units).

``refusal(text, parse_mode)`` gives Telegram's 400 description, or ``None`` when it would send.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

MAX_UNITS = 4096
TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span", "tg-emoji",
}  # fmt: skip
ENTITIES = {"lt", "gt", "amp", "quot"}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def _fail(self, reason: str) -> None:
        self.error = self.error or f"Bad Request: can't parse entities: {reason}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self._fail(f'unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f'unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self._fail(f'unmatched end tag "{tag}"')
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if any(c in data for c in "<>&"):
            self._fail("unescaped character")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ENTITIES:
            self._fail(f'unsupported HTML entity "&{name};"')
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def unknown_decl(self, data: str) -> None:
        self._fail("unsupported declaration")

    handle_comment = handle_decl = handle_pi = unknown_decl


def refusal(text: str, parse_mode: str | None) -> str | None:
    shown = text
    if parse_mode == "HTML":
        parser = _Parser()
        parser.feed(text)
        parser.close()
        if parser.rawdata:  # left unparsed: an unfinished tag or entity
            parser._fail("unfinished tag or entity")
        if parser.open and not parser.error:
            parser._fail(f'unclosed start tag "{parser.open[-1]}"')
        if parser.error:
            return parser.error
        shown = "".join(parser.text)
    if not shown.strip():
        return "Bad Request: message text is empty"
    if len(shown.encode("utf-16-le")) // 2 > MAX_UNITS:
        return "Bad Request: message is too long"
    return None
