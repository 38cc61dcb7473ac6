"""Parse message text the way Telegram does for parse_mode HTML, MarkdownV2 and Markdown.

The sandbox rejects what Telegram rejects (unsupported tags, unescaped reserved characters,
unclosed entities) so that an escaping bug fails a test instead of failing in production.
It returns the visible text and its entities, with offsets in UTF-16 code units as Telegram counts.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from bot.sandbox.state import ApiError, bad_request

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units (Telegram's unit for limits)."""
    return len(text.encode("utf-16-le")) // 2


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Return the visible text and entities of ``text`` formatted with ``parse_mode``.

    Raises ApiError 400 "can't parse entities" when Telegram would refuse the text.
    """
    if parse_mode is None or parse_mode == "":
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _MarkdownV2Parser(text).parse()
    if mode == "markdown":
        return _parse_legacy_markdown(text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


class _HtmlToEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.line_lengths: list[int] = []
        self.out: list[str] = []
        self.length = 0
        self.entities: list[Entity] = []
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise _cant_parse('Tag "span" must have class "tg-spoiler"')
        if tag == "a" and not attributes.get("href"):
            raise _cant_parse('Tag "a" must have attribute "href"')
        self.stack.append((tag, self.length, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise _cant_parse(f'Unexpected end tag "{tag}" at byte offset {self._offset()}')
        open_tag, start, attributes = self.stack.pop()
        if open_tag != tag:
            raise _cant_parse(
                f'Unmatched end tag at byte offset {self._offset()}, expected "</{open_tag}>", '
                f'found "</{tag}>"'
            )
        if self.length > start:
            entity: Entity = {
                "type": _HTML_TAGS[tag],
                "offset": start,
                "length": self.length - start,
            }
            if tag == "a":
                entity["url"] = attributes.get("href")
            if tag == "code" and str(attributes.get("class") or "").startswith("language-"):
                entity["_language"] = str(attributes["class"]).removeprefix("language-")
            if tag == "pre" and self.entities and self.entities[-1]["type"] == "code":
                inner = self.entities[-1]
                if inner["offset"] == start and inner["length"] == self.length - start:
                    self.entities.pop()
                    if "_language" in inner:
                        entity["language"] = inner["_language"]
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise _cant_parse(
                f"Unexpected '<' at byte offset {self._offset()}; escape it as &lt; in HTML"
            )
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        known = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        self._text(known.get(name, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in "xX" else int(name)
            self._text(chr(code))
        except (ValueError, OverflowError) as err:
            raise _cant_parse(f"Invalid character reference &#{name};") from err

    def _text(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def _offset(self) -> int:
        line, column = self.getpos()
        return sum(self.line_lengths[: line - 1]) + column

    def finish(self) -> tuple[str, list[Entity]]:
        self.close()
        if self.stack:
            tag = self.stack[-1][0]
            raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{tag}"')
        for entity in self.entities:
            entity.pop("_language", None)
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.out), self.entities


def _parse_html(text: str) -> tuple[str, list[Entity]]:
    parser = _HtmlToEntities()
    parser.line_lengths = [len(line.encode("utf-8")) for line in text.splitlines(keepends=True)]
    parser.feed(text)
    return parser.finish()


class _MarkdownV2Parser:
    """A small MarkdownV2 reader: escapes, *bold*, _italic_, __underline__, ~strike~,
    ||spoiler||, `code`, ```pre```, [text](url); any other reserved character must be escaped."""

    _MARKERS = (("```", "pre"), ("||", "spoiler"), ("__", "underline"), ("*", "bold"),
                ("_", "italic"), ("~", "strikethrough"), ("`", "code"))  # fmt: skip

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.length = 0
        self.entities: list[Entity] = []
        self.stack: list[tuple[str, str, int, int]] = []  # marker, type, start, byte offset

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.length += utf16_len(chunk)

    def _byte_offset(self) -> int:
        return len(self.text[: self.pos].encode("utf-8"))

    def parse(self) -> tuple[str, list[Entity]]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(text):
                    raise _cant_parse(
                        f"Character '\\' is reserved and must be escaped with the preceding '\\' "
                        f"(byte offset {self._byte_offset()})"
                    )
                self._emit(text[self.pos + 1])
                self.pos += 2
                continue
            if char in ("`",):
                self._read_code()
                continue
            marker = self._marker_here()
            if marker is not None:
                self._toggle(*marker)
                continue
            if char == "[":
                self.stack.append(("[", "text_link", self.length, self._byte_offset()))
                self.pos += 1
                continue
            if char == "]" and self.stack and self.stack[-1][0] == "[":
                self._close_link()
                continue
            if char == ">" and (self.pos == 0 or text[self.pos - 1] == "\n"):
                self.pos += 1
                continue
            if char in _MDV2_RESERVED:
                raise _cant_parse(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            self._emit(char)
            self.pos += 1
        if self.stack:
            _, kind, _, offset = self.stack[-1]
            raise _cant_parse(f"Can't find end of {_title(kind)} entity at byte offset {offset}")
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.out), self.entities

    def _marker_here(self) -> tuple[str, str] | None:
        for marker, kind in self._MARKERS:
            if marker.startswith("`"):
                continue
            if self.text.startswith(marker, self.pos):
                return marker, kind
        return None

    def _toggle(self, marker: str, kind: str) -> None:
        if self.stack and self.stack[-1][0] == marker:
            _, _, start, _ = self.stack.pop()
            if self.length > start:
                self.entities.append({"type": kind, "offset": start, "length": self.length - start})
        elif any(open_marker == marker for open_marker, *_ in self.stack):
            raise _cant_parse(f"Can't find end of {_title(kind)} entity")
        else:
            self.stack.append((marker, kind, self.length, self._byte_offset()))
        self.pos += len(marker)

    def _read_code(self) -> None:
        text = self.text
        fence = "```" if text.startswith("```", self.pos) else "`"
        start_offset = self._byte_offset()
        self.pos += len(fence)
        language: str | None = None
        if fence == "```":
            newline = text.find("\n", self.pos)
            header = text[self.pos : newline] if newline != -1 else ""
            if newline != -1 and header and " " not in header:
                language = header
                self.pos = newline + 1
        start = self.length
        while True:
            if self.pos >= len(text):
                kind = "Pre" if fence == "```" else "Code"
                raise _cant_parse(f"Can't find end of {kind} entity at byte offset {start_offset}")
            if text[self.pos] == "\\" and self.pos + 1 < len(text):
                self._emit(text[self.pos + 1])
                self.pos += 2
                continue
            if text.startswith(fence, self.pos):
                self.pos += len(fence)
                break
            if text[self.pos] == "`":
                raise _cant_parse(
                    "Character '`' is reserved and must be escaped with the preceding '\\'"
                )
            self._emit(text[self.pos])
            self.pos += 1
        entity: Entity = {
            "type": "pre" if fence == "```" else "code",
            "offset": start,
            "length": self.length - start,
        }
        if language:
            entity["language"] = language
        if entity["length"] > 0:
            self.entities.append(entity)

    def _close_link(self) -> None:
        _, _, start, _ = self.stack.pop()
        text = self.text
        self.pos += 1
        if not text.startswith("(", self.pos):
            raise _cant_parse(
                "Character ']' is reserved and must be escaped with the preceding '\\'"
            )
        end = text.find(")", self.pos)
        if end == -1:
            raise _cant_parse("Can't find end of a URL")
        url = text[self.pos + 1 : end].replace("\\)", ")").replace("\\\\", "\\")
        self.pos = end + 1
        if self.length > start:
            self.entities.append(
                {"type": "text_link", "offset": start, "length": self.length - start, "url": url}
            )


def _title(kind: str) -> str:
    return kind.replace("_", " ").title().replace(" ", "")


def _parse_legacy_markdown(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    entities: list[Entity] = []
    length = 0
    pos = 0
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text) and text[pos + 1] in "_*`[":
            out.append(text[pos + 1])
            length += 1
            pos += 2
            continue
        fence = "```" if text.startswith("```", pos) else char
        if fence == "```" or char in kinds:
            end = text.find(fence, pos + len(fence))
            if end == -1:
                offset = len(text[:pos].encode("utf-8"))
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {offset}")
            inner = text[pos + len(fence) : end]
            out.append(inner)
            kind = "pre" if fence == "```" else kinds[char]
            if inner:
                entities.append({"type": kind, "offset": length, "length": utf16_len(inner)})
            length += utf16_len(inner)
            pos = end + len(fence)
            continue
        if char == "[":
            close = text.find("](", pos)
            end = text.find(")", close + 2) if close != -1 else -1
            if close != -1 and end != -1:
                label = text[pos + 1 : close]
                out.append(label)
                entities.append(
                    {
                        "type": "text_link",
                        "offset": length,
                        "length": utf16_len(label),
                        "url": text[close + 2 : end],
                    }
                )
                length += utf16_len(label)
                pos = end + 1
                continue
        out.append(char)
        length += utf16_len(char)
        pos += 1
    return "".join(out), entities
