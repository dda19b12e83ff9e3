r"""TeX in arXiv's text: where the math is, and the accents and escapes around it.

arXiv sends titles and abstracts as their authors wrote them: math as TeX (``$\pi^0$``,
``\(T_w\)``), and outside it TeX's accents and escapes (``Schr\"odinger``,
``Cram\'er``, ``\&``). Every stage reads it: the sources turn author names into
letters, the translate stage protects math from the model and gives it letters for
accents, the writers typeset math (``render/math.py``) and show letters. This module has
no dependency, so any stage may import it.
"""

from __future__ import annotations

import re
import unicodedata

# A math span, as arXiv's authors delimit it: $…$, $$…$$, \(…\), \[…\], or an environment.
MATH = (
    r"\$\$.+?\$\$|\\\[.+?\\\]|\\begin\{(?P<env>[A-Za-z]+\*?)\}.*?\\end\{(?P=env)\}"
    r"|\$(?:\\.|[^$\\])+\$|\\\(.+?\\\)"
)
_MATH = re.compile(MATH, re.DOTALL)
# TeX's escapes of characters it reserves, outside math: \& \% \# \_ \$ \{ \}
_ESCAPE = re.compile(r"\\([&%#_${}])")
# A letter an accent left in braces: {ö} (not a command's argument: \emph{x} stays)
_BRACED_LETTERS = re.compile(r"(\\[A-Za-z]+)?\{([^\W\d_]+)\}")


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



def tex_to_unicode(text: str) -> str:
    """An author's name: TeX accents and letters as Unicode, every brace dropped (arXiv
    writes names as `{\\"o}`); unknown TeX stays."""
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


def math_pieces(text: str) -> list[tuple[bool, str]]:
    """The text in order, as (is math, piece): the math spans and the text between them."""
    pieces, position = [], 0
    for match in _MATH.finditer(text):
        if match.start() > position:
            pieces.append((False, text[position:match.start()]))
        pieces.append((True, match[0]))
        position = match.end()
    if position < len(text):
        pieces.append((False, text[position:]))
    return pieces


def letters(text: str) -> str:
    """A title or abstract with TeX's accents and escapes outside math as the characters
    they stand for (NFC); math, and TeX this does not know, stay as they are."""
    return "".join(piece if is_math else _letters(piece) for is_math, piece in math_pieces(text))


def _letters(text: str) -> str:
    if "\\" not in text:
        return text
    text = _TEX_ACCENT.sub(_accented, text)
    text = _TEX_LETTER.sub(lambda command: _TEX_LETTERS[command["name"]], text)
    text = unicodedata.normalize("NFC", text)  # a letter and its mark are one character before {…} goes
    return _BRACED_LETTERS.sub(lambda m: m[0] if m[1] else m[2], _ESCAPE.sub(r"\1", text))
