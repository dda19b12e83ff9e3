"""Shared test set-up: isolated state folders, the tiny real argos package, loopback HTTP.

What test modules share besides fixtures lives in tests/support/; the fixtures defined
there are registered here, for every module.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from support.server import LoopbackServer

# argostranslate creates and reads folders under the XDG dirs when first imported:
# point them at a scratch folder before any test imports it.
_ARGOS_HOME = Path(tempfile.mkdtemp(prefix="feedbridge-tests-"))
for _var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
    os.environ[_var] = str(_ARGOS_HOME / _var.lower())

# served (the hostile site on loopback), browser (headless Chromium), feed_server and days
# (two days of builds), fake_time (a clock that moves only when slept)
pytest_plugins = ["support.site", "support.browser", "support.scenes", "support.clock"]


@pytest.fixture(autouse=True)
def isolated_state(monkeypatch, tmp_path):
    """Every test gets its own cache, packages and models folders, and no route to a real index."""
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos-packages"))
    monkeypatch.setenv("FEEDBRIDGE_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")  # nothing listens on port 9
    monkeypatch.delenv("FEEDBRIDGE_CONFIG", raising=False)


@pytest.fixture(scope="session")
def tiny_argosmodel(tmp_path_factory) -> Path:
    """A real en->ja .argosmodel (SentencePiece + random-weight CTranslate2), built once."""
    from tiny_model import build_argosmodel, fixture_corpus

    path = tmp_path_factory.mktemp("models") / "translate-en_ja-1_0.argosmodel"
    build_argosmodel(path, fixture_corpus(), from_code="en", to_code="ja")
    return path


@pytest.fixture
def installed_model(tiny_argosmodel):
    """The tiny package installed through argos's install code into this test's folder."""
    from feedbridge.translate.packages import install_from_file

    return install_from_file(tiny_argosmodel)


@pytest.fixture(scope="session")
def marian_folder(tmp_path_factory) -> Path:
    """A random-weight converted MarianMT folder named tiny-en-ja (tools/tiny_model.py), built once."""
    from tiny_model import build_marian_folder, fixture_corpus

    return build_marian_folder(tmp_path_factory.mktemp("marian") / "tiny-en-ja", fixture_corpus())


@pytest.fixture(scope="session")
def endless_marian_folder(tmp_path_factory) -> Path:
    """A random-weight MarianMT folder that never ends a sentence: a model that fails as a whole."""
    from tiny_model import build_marian_folder, fixture_corpus

    return build_marian_folder(tmp_path_factory.mktemp("marian") / "endless-en-ja", fixture_corpus(), ends=False)


@pytest.fixture
def toy_model(installed_model) -> str:
    """The trained toy MarianMT added as a model through feedbridge's own add path (its
    probe translation included), beside the tiny argos package; its name, for
    ``translation.model``."""
    from feedbridge.translate.marian import add_model
    from support.paths import TOY, TOY_MODEL

    return add_model(TOY_MODEL, name=TOY, source="en", target="ja").name


@pytest.fixture
def http_server():
    """A LoopbackServer for this test (tests/support/server.py)."""
    with LoopbackServer() as server:
        yield server
