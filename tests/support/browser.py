"""A real headless Chromium for the tests that look at pages: the `browser` fixture and `Visit`.

Chromium and its driver are Debian's (`make test` installs them); Selenium is pointed
at /usr/bin/chromedriver, so Selenium Manager never runs and nothing is downloaded.
"""

from __future__ import annotations

import json
import os

import pytest

from support.checks import require_tool

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    require_tool(CHROMIUM)
    require_tool(CHROMEDRIVER)
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager must never download
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--no-default-browser-check", "--disable-quic",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


class Visit:
    """One page load: what the console said and every URL the page requested."""

    def __init__(self, driver, url: str):
        driver.get_log("browser")  # drop what earlier pages left
        driver.get_log("performance")
        driver.get(url)
        self.errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        self.requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
