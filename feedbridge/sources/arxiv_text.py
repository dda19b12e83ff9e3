"""Text as arXiv writes it, made plain for both arXiv parsers: XML whitespace joined,
HTML fragments read as text, the TeX accents of author names as Unicode, dates with
their own offsets, and quotations of the document that are safe in a one-line message.

Dates come from the standard library, which keeps the offset arXiv wrote (feedparser
would turn them into UTC `struct_time`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from feedbridge.tex import tex_to_unicode

# Only XML's own whitespace: NBSP, thin spaces and the like are text and are kept.
_XML_WHITESPACE = re.compile(r"[ \t\r\n]+")
_HTML_TAG = re.compile(r"</?(?P<name>[A-Za-z][A-Za-z0-9]*)\b[^>]*>")
_HTML_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "blockquote", "table", "tr", "td"}
_QUOTE_LIMIT = 200


def joined(text: str) -> str:
    """Join runs of XML whitespace (hard wraps, indentation) into one space."""
    return _XML_WHITESPACE.sub(" ", text).strip(" ")


def quoted(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """A one-line quotation of text found in the document, for error messages: at most
    ``limit`` characters of it, then "…".

    Control and format characters (a bidi override, a line separator) are written as
    escapes, so that a quoted title can neither reorder nor break the message around it.
    """
    line = joined(text)
    if len(line) > limit:
        line = line[:limit] + "…"
    return '"' + "".join(_visible(character) for character in line) + '"'


def _visible(character: str) -> str:
    if unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
        return f"\\u{ord(character):04x}"
    return character


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, every text character kept.

    Block tags become a space so that paragraphs do not run together. A `<` that does
    not start a tag is text and stays.
    """
    without_tags = _HTML_TAG.sub(
        lambda tag: " " if tag["name"].lower() in _HTML_BLOCK_TAGS else "", markup
    )
    return html.unescape(without_tags)


# --- dates ------------------------------------------------------------------


def rfc822_date(text: str) -> datetime | None:
    """An RSS date with its own offset kept; None when absent or unreadable."""
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _aware(value)


def iso_date(text: str) -> datetime | None:
    """An Atom or Dublin Core date; None when absent or unreadable."""
    try:
        return _aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    """A date without an offset is read as UTC, so that every date can be compared."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- names --------------------------------------------------------------------

def clean_name(text: str) -> str:
    """An author's name or affiliation: TeX accents as Unicode, whitespace joined, NFC."""
    return unicodedata.normalize("NFC", joined(tex_to_unicode(text)))
