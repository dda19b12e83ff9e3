"""The site in a real headless Chromium: no console errors, no request leaving 127.0.0.1,
links that resolve, hostile text that stays text, and a layout that fits a phone.

The browser and the served site are fixtures of tests/support/ (browser.py, site.py).
Screenshots go to test-artifacts/ at the top of the checkout.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

from support.browser import Visit
from support.paths import REPO
from support.site import FEEDS, HOSTILE_TITLE

ARTIFACTS = REPO / "test-artifacts"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def pages(base_url: str) -> list[str]:
    return [base_url + "index.html", *(f"{base_url}{name}.html" for name in FEEDS)]


def test_pages_load_without_errors_or_outside_requests(browser, served):
    base_url, _ = served
    for url in pages(base_url):
        visit = Visit(browser, url)
        assert visit.errors == [], (url, visit.errors)
        assert visit.requests, url
        for requested in visit.requests:
            parts = urlsplit(requested)
            assert parts.scheme == "data" or parts.hostname == "127.0.0.1", (url, requested)
        assert browser.execute_script("return document.styleSheets.length") == 1  # style.css loaded


def test_every_link_resolves(browser, served):
    base_url, _ = served
    for url in pages(base_url):
        browser.get(url)
        hrefs = browser.execute_script("return Array.from(document.links, a => a.href)")
        assert hrefs
        for href in set(hrefs):
            parts = urlsplit(href)
            if parts.hostname == "127.0.0.1":
                with urllib.request.urlopen(href) as response:
                    assert response.status == 200, href
            elif parts.hostname == "creativecommons.org" or parts.path.startswith("/licenses/"):
                assert parts.scheme in {"http", "https"}, href  # a paper's licence, as arXiv gives it
            else:  # arXiv and DOI pages are not fetched from a test, only checked for form
                assert parts.scheme == "https" and parts.hostname in {"arxiv.org", "doi.org"}, href


def test_a_script_in_a_title_shows_as_text_and_runs_nothing(browser, served):
    base_url, _ = served
    for name in ("quant-ph.ja", "entanglement.ja"):
        visit = Visit(browser, f"{base_url}{name}.html")
        assert visit.errors == []
        assert browser.execute_script("return window.__pwned") is None
        assert browser.execute_script("return document.scripts.length + document.images.length") == 0
        body = browser.execute_script("return document.body.innerText")
        if name == "quant-ph.ja":
            assert HOSTILE_TITLE in body


def test_pages_fit_a_phone_and_screenshots_are_saved(browser, served):
    base_url, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for url in pages(base_url):
            stem = url.rsplit("/", 1)[1].removesuffix(".html")
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            browser.get(url)
            assert browser.save_screenshot(str(ARTIFACTS / f"{stem}-desktop.png"))
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
            browser.get(url)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{url} is {overflow}px wider than a phone"
            assert browser.save_screenshot(str(ARTIFACTS / f"{stem}-phone.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_index_links_lead_to_each_feed_page(browser, served):
    base_url, _ = served
    browser.get(base_url + "index.html")
    from selenium.webdriver.common.by import By

    names = [link.get_attribute("href") for link in browser.find_elements(By.CSS_SELECTOR, "li.feed h2 a")]
    assert names == [f"{base_url}{name}.html" for name in FEEDS]
    browser.find_element(By.CSS_SELECTOR, "li.feed h2 a").click()
    assert browser.current_url == f"{base_url}{FEEDS[0]}.html"
    assert browser.title.startswith("quant-ph — Quantum Physics")  # the category and its name, not "arXiv …"


# The layout of a formula: each element's box, the base's and its superscript's.
MATH_BOXES = """
const math = document.querySelector("article.paper math");
if (!math) return null;
math.scrollIntoView();
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
const sup = math.querySelector("msup");
return {math: box(math), annotation: box(math.querySelector("annotation")),
        base: sup && box(sup.children[0]), script: sup && box(sup.children[1]),
        display: getComputedStyle(math).display, tex: math.querySelector("annotation").textContent};
"""


def test_math_is_laid_out_as_mathml_and_a_screenshot_is_saved(browser, served):
    """A formula drawn as MathML: it has a size, its TeX annotation is not drawn, and a
    superscript sits above its base (as plain text it would sit on the same line)."""
    from selenium.webdriver.common.by import By

    base_url, _ = served
    browser.get(f"{base_url}quant-ph.ja.html")
    boxes = browser.execute_script(MATH_BOXES)
    assert boxes is not None, "no formula on the page"
    _, _, width, height = boxes["math"]
    assert width > 0 and height > 0
    assert boxes["annotation"][2:] == [0, 0]  # the TeX is kept, not shown
    assert boxes["tex"].startswith(("$", "\\("))
    supers = browser.execute_script("return document.querySelectorAll('article.paper msup').length")
    assert supers > 0
    for index in range(min(supers, 5)):
        base, script = browser.execute_script(
            "const s = document.querySelectorAll('article.paper msup')[arguments[0]];"
            "const b = e => e.getBoundingClientRect(); return [b(s.children[0]).top, b(s.children[1]).top];",
            index)
        assert script < base, "a superscript not raised: the math is shown as text"
    ARTIFACTS.mkdir(exist_ok=True)
    formula = browser.find_element(By.CSS_SELECTOR, "article.paper math")
    paper = formula.find_element(By.XPATH, "ancestor::article")
    browser.execute_script("arguments[0].scrollIntoView()", paper)
    assert paper.screenshot(str(ARTIFACTS / "math-entry.png"))
