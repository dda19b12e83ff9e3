"""A whole site with hostile text in it, built by the tiny real model, and the `served`
fixture: that site served by `feedbridge serve`'s server on a loopback address."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from lxml import etree

from feedbridge.serve import make_server
from support.builds import build, tiny_model_installed
from support.config import write_config
from support.paths import EMPTY_PHYSICS, LEGACY_HEP_EX, QUANT_PH

HOSTILE_TITLE = "<script>window.__pwned = 1</script> Time & <b>space</b>"
HOSTILE_SENTENCE = '<img src="http://203.0.113.9/x.png" onerror="window.__pwned = 2"> is not an image.'
HOSTILE_AUTHOR = "Mallory <i>Evil</i> (Lab & <u>Co</u>)"
FEEDS = ["quant-ph.ja", "physics.ja", "hep-ex.ja", "entanglement.ja"]


def hostile_quant_ph() -> bytes:
    """The real capture with its first item's title, abstract and authors made hostile."""
    root = etree.parse(str(QUANT_PH)).getroot()
    item = root.find("channel/item")
    item.find("title").text = HOSTILE_TITLE
    description = item.find("description")
    description.text = description.text.replace("We introduce", f"{HOSTILE_SENTENCE} We introduce")
    item.find("{http://purl.org/dc/elements/1.1/}creator").text = HOSTILE_AUTHOR
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build_site(folder: Path, base_url: str) -> Path:
    """Four feeds (a busy day, an empty holiday, the legacy format, a topic) and their site."""
    saved = folder / "saved"
    saved.mkdir(parents=True)
    (saved / "quant-ph.xml").write_bytes(hostile_quant_ph())
    shutil.copy(EMPTY_PHYSICS, saved / "physics.xml")
    shutil.copy(LEGACY_HEP_EX, saved / "hep-ex.xml")
    topic = {"name": "entanglement.ja", "title": "Entanglement", "categories": ["quant-ph"], "include": ["entangle"]}
    config = write_config(folder, feeds=["quant-ph", "physics", "hep-ex"], topics=[topic], base_url=base_url)
    result = build("--config", config, "--from-dir", saved, "--offline")
    assert result.exit_code == 0, result.output
    return folder / "out"


@pytest.fixture(scope="module")
def served(tmp_path_factory, tiny_argosmodel):
    """The site built for, and served by `feedbridge serve`'s server on, a loopback address."""
    folder = tmp_path_factory.mktemp("served")
    (folder / "out").mkdir()
    server = make_server(folder / "out", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    with tiny_model_installed(folder, tiny_argosmodel):
        build_site(folder, base_url)
    yield base_url, folder / "out"
    server.shutdown()
    server.server_close()
