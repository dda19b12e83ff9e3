"""Where an arXiv paper is read: its abstract page, PDF, HTML version and the code its authors name.

Both arXiv sources (the RSS and the API) and the archive (which stores the paper, not
its links) derive the links here, so they are the same wherever a paper comes from.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from feedbridge.model import PaperLinks

# Where code lives: a URL on one of these hosts is a code link wherever it stands.
_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org")
# A URL, or a code host's address written without its scheme ("github.com/a/b").
_URL_IN_TEXT = re.compile(
    r"https?://[^\s<>\"]+|\b(?:www\.)?(?:"
    + "|".join(re.escape(host) for host in _CODE_HOSTS) + r")/[^\s<>\"]+",
    re.IGNORECASE,
)
# Words that make any URL after them, in the same clause, a code link: "Code: …",
# "code available at …", "implementation at …".
_CODE_CUE = re.compile(r"\b(?:code|implementation|repository)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;]|\.\s")


def arxiv_links(arxiv_id: str, version: int, comment: str | None = None) -> PaperLinks:
    """The paper's arXiv pages; arXiv's HTML rendering exists for most papers submitted
    since December 2023 (where its LaTeX conversion succeeds), so it is linked as offered."""
    return PaperLinks(
        abstract=f"https://arxiv.org/abs/{arxiv_id}",
        pdf=f"https://arxiv.org/pdf/{arxiv_id}v{version}",
        html=f"https://arxiv.org/html/{arxiv_id}v{version}",
        code=code_link(comment or ""),
    )


def code_link(text: str) -> str | None:
    """The first URL in `text` that points at code, as authors write it in their comments:
    any URL on a code host ("github.com/a/b", with or without https://), or a URL that
    follows "code", "implementation" or "repository" in the same clause ("Code: …")."""
    clause_start = 0
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim_url(match[0])
        if "://" not in url:
            url = f"https://{url}"
        clause = _CLAUSE_END.split(text[clause_start:match.start()])[-1]
        if _on_code_host(url) or _CODE_CUE.search(clause):
            return url
        clause_start = match.end()
    return None


def _trim_url(url: str) -> str:
    """Drop what ends the sentence around a URL: a final period, comma, or the closing
    bracket of "(https://…)", while a bracket that belongs to the URL stays."""
    while True:
        trimmed = url.rstrip(".,;:!?'")
        for opening, closing in ("()", "[]"):
            if trimmed.endswith(closing) and trimmed.count(opening) < trimmed.count(closing):
                trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def _on_code_host(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == code_host or host.endswith("." + code_host) for code_host in _CODE_HOSTS)
