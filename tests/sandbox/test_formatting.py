"""Text formatting is read the way Telegram reads it, so escaping bugs fail in tests."""

from __future__ import annotations

import pytest

from bot.sandbox.formatting import parse_text, utf16_len
from bot.sandbox.state import ApiError


def test_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_text("\N{RUNNER} <b>Stage 3</b> &lt;ok&gt;", "HTML")
    assert text == "\N{RUNNER} Stage 3 <ok>"
    assert entities == [{"type": "bold", "offset": 3, "length": 7}]


def test_html_links_and_pre_code_language() -> None:
    text, entities = parse_text(
        '<a href="https://example.org">plan</a> <pre><code class="language-yaml">a: 1</code></pre>',
        "HTML",
    )
    assert text == "plan a: 1"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org"},
        {"type": "pre", "offset": 5, "length": 4, "language": "yaml"},
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<br>", 'Unsupported start tag "br"'),
        ("<b>bold<i>both</b></i>", "Unmatched end tag"),
        ("<b>open", "Can't find end tag"),
        ("pain < 3", "Unexpected '<'"),
        ('<span class="x">s</span>', "tg-spoiler"),
    ],
)
def test_html_telegram_refuses(text: str, reason: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_text(text, "HTML")
    assert raised.value.status == 400
    assert raised.value.description.startswith("Bad Request: can't parse entities")
    assert reason in raised.value.description


def test_markdown_v2_nested_and_links() -> None:
    text, entities = parse_text(r"*bold _both_* [site](https://x\.org) \#1", "MarkdownV2")
    assert text == "bold both site #1"
    assert {"type": "italic", "offset": 5, "length": 4} in entities
    assert {"type": "bold", "offset": 0, "length": 9} in entities
    assert {"type": "text_link", "offset": 10, "length": 4, "url": r"https://x\.org"} in entities


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Pain 3-4", "Character '-' is reserved"),
        ("*open", "Can't find end of Bold entity"),
        ("`code", "Can't find end of Code entity"),
        ("1. step", "Character '.' is reserved"),
    ],
)
def test_markdown_v2_telegram_refuses(text: str, reason: str) -> None:
    with pytest.raises(ApiError, match=reason):
        parse_text(text, "MarkdownV2")


def test_legacy_markdown_and_plain_text() -> None:
    assert parse_text("*Bold* and _it_", "Markdown") == (
        "Bold and it",
        [
            {"type": "bold", "offset": 0, "length": 4},
            {"type": "italic", "offset": 9, "length": 2},
        ],
    )
    with pytest.raises(ApiError, match="Can't find end of the entity"):
        parse_text("5*3", "Markdown")
    assert parse_text("<b>as is</b>", None) == ("<b>as is</b>", [])
    assert utf16_len("\N{RUNNER}é") == 3
