"""`feedbridge doctor`: each check passing and failing, arXiv and the index on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from feedbridge import doctor
from feedbridge.doctor import Check, exit_code, format_check, run_checks
from feedbridge.sources.arxiv_api import query_url
from feedbridge.errors import ExitCode
from feedbridge.fetch import Fetcher
from feedbridge.starter import starter_config, write_starter
from support.paths import API_ERROR, API_ZERO, QUANT_PH

DOWN = "http://127.0.0.1:9"  # nothing listens on port 9


def write_config(tmp_path: Path, feed_url: str, *, base_url="https://alice.github.io/feeds/",
                 contact="mailto:alice@uni.edu", to="ja", api_url=DOWN + "/api/query", enrich=True) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        f"site:\n  base_url: {base_url}\n  output_dir: out\n"
        f"arxiv:\n  feed_url: {feed_url}/rss/{{category}}\n  contact: {contact}\n"
        f"  api_url: {api_url}\n  enrich: {'true' if enrich else 'false'}\n"
        f"translation:\n  to: {to}\n"
        "feeds:\n  - quant-ph\n",
        encoding="utf-8",
    )
    return path


def serve_arxiv(http_server) -> None:
    http_server.serve("/rss/quant-ph", QUANT_PH.read_bytes())


def serve_api(http_server, body=API_ZERO.read_bytes(), status=200) -> str:
    api_url = http_server.url + "/api/query"
    url = query_url(api_url, [doctor.API_PROBE_ID])
    http_server.serve(url[len(http_server.url):], body, status=status)
    return api_url


def serve_index(http_server, monkeypatch, body=b"[]") -> None:
    http_server.serve("/index/index.json", body, content_type="application/json")
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", http_server.url + "/index/")


def named(checks: list[Check], name: str) -> Check:
    [check] = [c for c in checks if c.name == name]
    return check


def probe() -> Fetcher:
    return doctor._probe_fetcher("mailto:alice@uni.edu", timeout=5)


# --- the whole run ------------------------------------------------------------------


def serve_status(http_server, generated: str = "2026-06-10T05:23:00+00:00") -> str:
    """A published site's status.json at the loopback's /site/; its base URL."""
    status = {"generated": generated, "last_success": generated, "feeds": []}
    http_server.serve("/site/status.json", json.dumps(status).encode(), content_type="application/json")
    return http_server.url + "/site/"


def test_everything_in_place_passes(tmp_path, http_server, monkeypatch, installed_model):
    serve_arxiv(http_server)
    api_url = serve_api(http_server)
    serve_index(http_server, monkeypatch)
    base_url = serve_status(http_server)
    config = write_config(tmp_path, http_server.url, api_url=api_url, base_url=base_url)
    checks = run_checks(config, timeout=5, now=datetime(2026, 6, 10, 12, tzinfo=timezone.utc))
    assert [c.name for c in checks] == [
        "Python", "packages", "config", "translation package en->ja", "cache folder", "output folder",
        "base URL", "arXiv contact", "arXiv", "arXiv API", "published site", "Argos package index",
    ]
    assert [c.name for c in checks if not c.ok] == ["base URL"]  # advice: the loopback is not https
    assert exit_code(checks) == ExitCode.OK


@pytest.mark.parametrize("now, stale", [
    ("2026-06-10T12:00:00+00:00", False),  # the run's own day
    ("2026-06-11T10:00:00+00:00", False),  # Thursday's announcement not yet published: one missed
    ("2026-06-12T04:30:00+00:00", True),  # Friday's too: two (04:00 UTC is midnight in New York)
    ("2026-06-12T03:30:00+00:00", False),  # half an hour before Friday's reached the RSS
])
def test_the_published_site_is_stale_after_two_announcements_it_missed(tmp_path, http_server, now, stale):
    config, _ = doctor.check_config(write_config(tmp_path, DOWN, base_url=serve_status(http_server)))
    check = doctor.check_published(config, probe(), datetime.fromisoformat(now))
    assert check.ok is not stale and not check.needed
    assert "written 2026-06-10T05:23:00+00:00, last successful run 2026-06-10T05:23:00+00:00" in check.detail
    if stale:
        assert check.detail.endswith("2 announcements since (2026-06-11, 2026-06-12)")
        assert "re-enable its schedule" in check.fix


def test_the_published_site_over_a_weekend_and_arxivs_holiday(tmp_path, http_server):
    # Written Friday 2026-06-19 (arXiv's holiday, which takes Monday's announcement away).
    base_url = serve_status(http_server, "2026-06-19T09:00:00+00:00")
    config, _ = doctor.check_config(write_config(tmp_path, DOWN, base_url=base_url))
    assert doctor.check_published(config, probe(), datetime(2026, 6, 22, 15, tzinfo=timezone.utc)).ok
    assert doctor.check_published(config, probe(), datetime(2026, 6, 23, 15, tzinfo=timezone.utc)).ok
    assert not doctor.check_published(config, probe(), datetime(2026, 6, 24, 15, tzinfo=timezone.utc)).ok


def test_a_published_site_without_a_status_or_a_run_time_is_advice(tmp_path, http_server):
    config, _ = doctor.check_config(write_config(tmp_path, DOWN, base_url=http_server.url + "/nothing/"))
    missing = doctor.check_published(config, probe(), datetime(2026, 6, 10, tzinfo=timezone.utc))
    assert not missing.ok and not missing.needed and "not found, nothing is published yet" in missing.detail
    http_server.serve("/old/status.json", b'{"feeds": []}')
    config, _ = doctor.check_config(write_config(tmp_path, DOWN, base_url=http_server.url + "/old/"))
    old = doctor.check_published(config, probe(), datetime(2026, 6, 10, tzinfo=timezone.utc))
    assert not old.ok and "says no run time" in old.detail and "before feedbridge 0.2" in old.detail


def test_offline_leaves_out_the_network_checks(tmp_path, installed_model):
    checks = run_checks(write_config(tmp_path, DOWN), offline=True)
    assert "arXiv" not in [c.name for c in checks]
    assert "Argos package index" not in [c.name for c in checks]
    assert exit_code(checks) == ExitCode.OK


def test_without_a_config_the_run_fails_and_says_how_to_make_one(tmp_path):
    checks = run_checks(tmp_path / "feeds.yaml", timeout=5)
    assert [c.name for c in checks] == ["Python", "packages", "config", "Argos package index"]
    config = named(checks, "config")
    assert not config.ok and config.fix == "create one with 'feedbridge init'"
    assert "config file not found" in config.detail
    assert not named(checks, "Argos package index").needed  # nothing is known to be missing
    assert exit_code(checks) == ExitCode.FAILED


def test_a_missing_package_fails_the_run_and_makes_the_index_needed(tmp_path, http_server, monkeypatch):
    serve_arxiv(http_server)
    checks = run_checks(write_config(tmp_path, http_server.url, enrich=False), timeout=5)
    package = named(checks, "translation package en->ja")
    assert not package.ok and package.fix == "feedbridge models install en ja"
    index = named(checks, "Argos package index")
    assert not index.ok and index.needed
    assert "arXiv API" not in [c.name for c in checks]
    assert exit_code(checks) == ExitCode.FAILED


def test_the_starter_config_passes_with_advice_about_its_placeholders(tmp_path, installed_model):
    path = tmp_path / "feeds.yaml"
    write_starter(path, starter_config(["cs.AI"], "ja"))
    checks = run_checks(path, offline=True)
    advice = [c.name for c in checks if not c.ok]
    assert advice == ["base URL", "arXiv contact"]
    assert not any(c.needed for c in checks if not c.ok)
    assert exit_code(checks) == ExitCode.OK


# --- each check ---------------------------------------------------------------------


def test_python_version():
    assert doctor.check_python((3, 11, 0)) == Check("Python", True, "3.11.0")
    old = doctor.check_python((3, 10, 14))
    assert (old.ok, old.detail, old.fix) == (False, "3.10.14, older than 3.11", "install Python 3.11 or newer")


def test_package_versions():
    check = doctor.check_distributions()
    assert check.ok
    assert check.detail.startswith("feedbridge ")
    assert "ctranslate2 " in check.detail and "feedparser " in check.detail and "argos" in check.detail
    missing = doctor.check_distributions([("feedparser",), ("no-such-dist-a", "no-such-dist-b")])
    assert (missing.ok, missing.detail) == (False, "missing no-such-dist-a or no-such-dist-b")
    assert "pip install" in missing.fix


def test_config_valid_and_invalid(tmp_path):
    config, check = doctor.check_config(write_config(tmp_path, DOWN))
    assert check.ok and config.feeds[0].category == "quant-ph"
    assert check.detail == f"{tmp_path / 'feeds.yaml'}: 1 feed (quant-ph.ja)"
    config, check = doctor.check_config(write_config(tmp_path, DOWN, to="xx"))
    assert config is None and not check.ok
    assert "feeds[0].to: expected a language with an Argos Translate package" in check.detail


def test_config_accepts_a_pair_only_an_installed_package_has(tmp_path, tiny_argosmodel):
    from feedbridge.translate.packages import install_from_file
    from tiny_model import build_argosmodel, fixture_corpus

    archive = tmp_path / "translate-en_xx.argosmodel"
    build_argosmodel(archive, fixture_corpus(), from_code="en", to_code="xx")
    install_from_file(archive)
    _, check = doctor.check_config(write_config(tmp_path, DOWN, to="xx"))
    assert check.ok
    assert doctor.check_package("en", "xx").ok


def test_package_installed_missing_and_broken(installed_model, monkeypatch, tmp_path):
    installed = doctor.check_package("en", "ja")
    assert installed.ok and installed.detail.startswith(installed_model.provenance)
    assert not doctor.check_package("en", "zh").ok
    (Path(installed_model.path).parent / "broken").mkdir()
    broken = doctor.check_package("en", "ja")
    assert not broken.ok and "not a readable Argos Translate package" in broken.detail


def test_an_added_model_present_missing_and_damaged(toy_model, tmp_path):
    from feedbridge.translate.marian import find_model

    ok = doctor.check_model(toy_model)
    assert ok.ok and ok.detail.startswith(f"{toy_model} ")
    missing = doctor.check_model("never-added")
    assert not missing.ok and missing.fix == "feedbridge models add FOLDER --name never-added"
    model = find_model(toy_model)
    (model.path / "source.spm").write_bytes(b"not a sentencepiece model")
    damaged = doctor.check_model(toy_model)
    assert not damaged.ok and damaged.detail.startswith(f"{model.path}: source.spm is not a SentencePiece model")
    assert damaged.fix == f"feedbridge models remove {toy_model}, then add it again"


def test_doctor_shows_a_damaged_model_of_the_config_as_failed(toy_model, tmp_path):
    from feedbridge.translate.marian import find_model

    config = tmp_path / "feeds.yaml"
    config.write_text("site: {base_url: 'https://x.org/'}\narxiv: {contact: me@x.org}\n"
                      f"translation: {{model: {toy_model}}}\nfeeds: [cs.AI]\n")
    (find_model(toy_model).path / "model.bin").write_bytes(b"\x00" * 10)
    checks = {check.name: check for check in run_checks(config, offline=True)}
    assert not checks[f"translation model {toy_model}"].ok
    assert exit_code(checks.values()) == ExitCode.FAILED


def test_folders_writable_to_be_created_and_not_writable(tmp_path):
    assert doctor.check_writable("output folder", tmp_path, "site.output_dir").ok
    later = doctor.check_writable("output folder", tmp_path / "a" / "b", "site.output_dir")
    assert later.ok and later.detail.endswith(f"(will be created in {tmp_path})")
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []  # the probe file is gone
    (tmp_path / "file").write_text("")
    blocked = doctor.check_writable("cache folder", tmp_path / "file" / "cache", "cache_dir")
    assert not blocked.ok and blocked.needed
    assert blocked.detail == f"{tmp_path / 'file' / 'cache'}: {tmp_path / 'file'} is not a folder"
    assert "set cache_dir to a folder you can write to" in blocked.fix


def _unwritable(monkeypatch, folder: Path) -> None:
    """Creating a file in ``folder`` fails as it does without permission (tests may run as
    root, whom file modes do not stop)."""
    import tempfile

    mkstemp = tempfile.mkstemp

    def refusing(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied")
        return mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refusing)


def test_output_folder_fails_when_its_lock_cannot_be_created_beside_it(tmp_path, monkeypatch):
    """The build takes its lock beside the output folder: a writable folder in a parent
    the build cannot write is no place to build."""
    (tmp_path / "public" / "out").mkdir(parents=True)
    _unwritable(monkeypatch, tmp_path / "public")
    assert doctor.check_writable("output folder", tmp_path / "public" / "out", "site.output_dir").ok
    check = doctor.check_output_folder(tmp_path / "public" / "out", "site.output_dir")
    lock = tmp_path.resolve() / "public" / ".out.feedbridge-lock"
    assert not check.ok and check.needed
    assert check.detail == (f"{tmp_path / 'public' / 'out'}: the build cannot create its lock {lock}:"
                            f" cannot write in {tmp_path.resolve() / 'public'} (Permission denied)")
    assert "\n" not in format_check(check)


def test_output_folder_lock_is_checked_where_a_symlink_leads(tmp_path, monkeypatch):
    """site.output_dir through a symlink: the lock goes beside the real folder, and that is
    the folder checked, not the symlink's."""
    (tmp_path / "elsewhere" / "site").mkdir(parents=True)
    (tmp_path / "out").symlink_to(tmp_path / "elsewhere" / "site", target_is_directory=True)
    _unwritable(monkeypatch, tmp_path / "elsewhere")
    check = named(run_checks(write_config(tmp_path, DOWN), offline=True), "output folder")
    assert not check.ok
    assert f"{tmp_path.resolve() / 'elsewhere' / '.site.feedbridge-lock'}" in check.detail
    assert check.fix == (f"make {tmp_path.resolve() / 'elsewhere'} writable, or set site.output_dir to a folder"
                         " whose parent you can write to")


def test_output_folder_checks_a_lock_in_a_folder_still_to_be_created(tmp_path, monkeypatch):
    _unwritable(monkeypatch, tmp_path)
    check = doctor.check_output_folder(tmp_path / "new" / "out", "site.output_dir")
    assert not check.ok and f"cannot write in {tmp_path.resolve()}" in check.detail
    monkeypatch.undo()
    assert doctor.check_output_folder(tmp_path / "new" / "out", "site.output_dir").ok
    assert not (tmp_path / "new").exists()


def test_the_root_folder_is_no_output_folder(tmp_path):
    config = write_config(tmp_path, DOWN)
    config.write_text(config.read_text().replace("output_dir: out", "output_dir: /"))
    check = named(run_checks(config, offline=True), "output folder")
    assert not check.ok and "file system's root" in check.detail


def test_cache_folder_from_the_environment_is_the_one_checked(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("FEEDBRIDGE_CACHE_DIR", str(tmp_path / "file"))
    checks = run_checks(write_config(tmp_path, DOWN), offline=True)
    assert not named(checks, "cache folder").ok
    assert named(checks, "output folder").ok


@pytest.mark.parametrize(
    "base_url, ok",
    [
        ("https://alice.github.io/feeds/", True),
        ("https://you.github.io/feedbridge/", False),  # the starter's placeholder
        ("https://example.github.io/feedbridge/", False),  # the repository's feeds.yaml
        ("https://feeds.example.org/", False),
        ("https://site.example/", False),
        ("http://alice.github.io/feeds/", False),
    ],
)
def test_base_url(base_url, ok):
    check = doctor.check_base_url(base_url)
    assert check.ok is ok
    assert not check.needed or check.ok
    assert check.ok or "site.base_url" in check.fix or "https" in check.fix


@pytest.mark.parametrize(
    "contact, ok",
    [
        ("mailto:alice@uni.edu", True),
        ("alice@uni.edu", True),
        ("https://github.com/alice/feeds", True),
        ("mailto:you@example.org", False),
        ("https://example.com/me", False),
    ],
)
def test_arxiv_contact(contact, ok):
    check = doctor.check_contact(contact)
    assert (check.ok, check.needed or check.ok) == (ok, ok)


def test_arxiv_reachable_unreachable_and_refusing(tmp_path, http_server):
    config, _ = doctor.check_config(write_config(tmp_path, http_server.url))
    serve_arxiv(http_server)
    reached = doctor.check_arxiv(config, probe())
    assert reached == Check("arXiv", True, f"{http_server.url}/rss/quant-ph: 81 papers announced")
    assert http_server.header(0, "User-Agent").endswith("(+mailto:alice@uni.edu)")
    http_server.serve(
        "/rss/quant-ph",
        b"<rss><channel><title>Feed error for query: quant-ph</title></channel></rss>",
        status=400,
    )
    refused = doctor.check_arxiv(config, probe())
    assert not refused.ok and "HTTP 400 Bad Request" in refused.detail and "arxiv.feed_url" in refused.fix
    config, _ = doctor.check_config(write_config(tmp_path, DOWN))
    down = doctor.check_arxiv(config, probe())
    assert not down.ok and "connection refused" in down.detail and down.needed


def test_arxiv_api_reachable_and_failing(http_server):
    api_url = serve_api(http_server)
    assert doctor.check_api(api_url, probe()) == Check("arXiv API", True, f"{api_url} answers")
    serve_api(http_server, API_ERROR.read_bytes(), status=400)
    failing = doctor.check_api(api_url, probe())
    assert not failing.ok and not failing.needed
    assert "HTTP 400 Bad Request" in failing.detail
    down = doctor.check_api(DOWN + "/api/query", probe())
    assert not down.ok and "connection refused" in down.detail


def test_argos_index_reachable_broken_and_unreachable(http_server, monkeypatch):
    serve_index(http_server, monkeypatch, json.dumps([{"code": "translate-en_ja"}]).encode())
    reached = doctor.check_index(probe(), needed=True)
    assert reached == Check("Argos package index", True, f"{http_server.url}/index/index.json: 1 packages")
    serve_index(http_server, monkeypatch, b"<html>moved</html>")
    broken = doctor.check_index(probe(), needed=True)
    assert not broken.ok and "not an Argos package index" in broken.detail
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", DOWN + "/")
    down = doctor.check_index(probe(), needed=False)
    assert not down.ok and not down.needed and "connection refused" in down.detail
    assert "feedbridge models install --file" in down.fix


# --- the report ---------------------------------------------------------------------


def test_format_check():
    assert format_check(Check("Python", True, "3.12.1")) == "✓ Python: 3.12.1"
    assert format_check(Check("config", False, "feeds.yaml: bad", "fix it")) == "✗ config: feeds.yaml: bad — fix it"
    advice = Check("base URL", False, "https://you.github.io/ is a placeholder", "set it", needed=False)
    assert format_check(advice) == "! base URL: https://you.github.io/ is a placeholder — set it"


def test_exit_code_fails_only_for_what_is_needed():
    passing = Check("a", True, "")
    advice = Check("b", False, "", "x", needed=False)
    needed = Check("c", False, "", "y")
    assert exit_code([passing, advice]) == ExitCode.OK
    assert exit_code([passing, advice, needed]) == ExitCode.FAILED
