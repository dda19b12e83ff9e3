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

# Accent commands and the combining mark each one puts on its letter.
_ACCENT_MARKS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306",
    "H": "\u030b", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
# Letters that TeX writes as commands.
_TEX_LETTERS = {
    "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "ss": "ß", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð",
    "dj": "đ", "DJ": "Đ", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
}
# `\"u`, `\"{u}`, `\' e`, `\c{c}`, `\c c`, `\'{\i}`; a letter accent such as `\c` must
# end its command name (`\cc` is another command).
_TEX_ACCENT = re.compile(
    r"\\(?:(?P<mark>[\"'`^~=.])|(?P<word>[cvuHkrdb])(?![A-Za-z]))[ \t]*"
    r"(?:\{[ \t]*(?P<braced>\\[A-Za-z]+|[^\W\d_])[ \t]*\}|(?P<bare>\\[A-Za-z]+|[^\W\d_]))"
)
# `\o`, `{\o}`, `\o{}`; like TeX (and arXiv's own tex2utf), one space after a bare
# command is its terminator: `S\o ren` is "Søren", while `Pawe\l\ Caban` keeps its space.
_TEX_LETTER = re.compile(
    r"\\(?P<name>" + "|".join(sorted(_TEX_LETTERS, key=len, reverse=True)) + r")"
    r"(?![A-Za-z])(?:\{\}|\\(?= )| )?"
)


def clean_name(text: str) -> str:
    """An author's name or affiliation: TeX accents as Unicode, whitespace joined, NFC."""
    return unicodedata.normalize("NFC", joined(_tex_to_unicode(text)))


def _tex_to_unicode(text: str) -> str:
    """Turn the TeX accents arXiv keeps in author names into Unicode; unknown TeX stays."""
    text = _TEX_ACCENT.sub(_accented, text)
    text = _TEX_LETTER.sub(lambda command: _TEX_LETTERS[command["name"]], text)
    return text.replace("{", "").replace("}", "")


def _accented(match: re.Match[str]) -> str:
    base = match["braced"] or match["bare"]
    if base.startswith("\\"):
        if base[1:] in ("i", "j"):  # an accent sits on a dotless i or j: the result is í, ĵ
            base = base[1:]
        elif base[1:] in _TEX_LETTERS:
            base = _TEX_LETTERS[base[1:]]
        else:
            return match[0]
    return base + _ACCENT_MARKS[match["mark"] or match["word"]]
