"""The command line: parse options, call the library, print, map errors to exit codes."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import click

from feedbridge import __version__
from feedbridge.errors import FeedbridgeError, printable

CONFIG_ENV = "FEEDBRIDGE_CONFIG"


class _Group(click.Group):
    """Turns feedbridge's own errors into one line on stderr and a documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FeedbridgeError as err:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(f"{click.style('Error:', fg='red', bold=True)} {printable(str(err))}", err=True)
            ctx.exit(int(err.exit_code))


class _Output:
    """Where a command's lines go: -q keeps only errors, -v adds the details.

    Everything but a command's result goes to stderr; colour and the progress bar only
    reach a terminal (click.echo drops styles when stderr is not one). Each line is made
    printable: what a server or a feed said never drives the terminal.
    """

    def __init__(self, verbosity: int):
        self.verbosity = verbosity  # -1 quiet, 0 normal, 1 verbose

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(_styled(printable(message)), err=True)

    def detail(self, message: str) -> None:
        if self.verbosity >= 1:
            click.echo(click.style(printable(message), dim=True), err=True)

    def error(self, message: str) -> None:
        click.echo(f"{click.style('Error:', fg='red', bold=True)} {printable(message)}", err=True)

    @property
    def tty(self) -> bool:
        return self.verbosity >= 0 and sys.stderr.isatty()


def _styled(message: str) -> str:
    if message.startswith("Warning: "):
        return click.style("Warning:", fg="yellow", bold=True) + message[len("Warning:"):]
    return message


class _ProgressBars:
    """click's progress bar, one per translation pass, under the label the pipeline gives
    it; drawn only on a terminal. The engine opens each pass with (0, total) and keeps its
    total: the first pass counts the sentences the model is asked for, a later one the
    sentences it refused and now gets again (retried, or in fragments), each on a bar of
    its own. The rate is sentences per second of the pass's wall time so far."""

    WIDTH = 30

    def __init__(self, file=None, clock: Callable[[], float] = time.monotonic):
        self._file = file  # None: stderr
        self._clock = clock
        self._bar = None  # click's ProgressBar, while a pass runs
        self._pair: str | None = None
        self._done = 0
        self._started = 0.0

    def __call__(self, pair: str, done: int, total: int) -> None:
        now = self._clock()
        if done == 0 or self._bar is None or pair != self._pair:
            self.close()
            self._pair, self._done, self._started = pair, 0, now
            self._bar = click.progressbar(
                length=total, label=pair, file=self._file or click.get_text_stream("stderr"), width=self.WIDTH,
                show_pos=True, show_percent=True, show_eta=True, item_show_func=lambda rate: rate,
            )
            self._bar.__enter__()
        elapsed = now - self._started
        rate = f"{done / elapsed:.1f} sentences/s" if done and elapsed > 0 else None
        self._bar.update(done - self._done, rate)
        self._done = done
        if done >= total:
            self.close()

    def close(self) -> None:
        """End the bar under way, if any (its line stays)."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _output(ctx: click.Context) -> _Output:
    return ctx.find_root().obj["output"]


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="feedbridge")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.option("-v", "--verbose", is_flag=True, help="Say more: where each history came from, each fetch, translation statistics.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (and a command's result, such as --json).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool, quiet: bool) -> None:
    """Bilingual arXiv feeds: each category's new papers, translated offline with
    Argos Translate, published as Atom next to the original."""
    if verbose and quiet:
        raise click.UsageError("give -v/--verbose or -q/--quiet, not both")
    from feedbridge.waits import waits_told_to

    out = _Output(1 if verbose else -1 if quiet else 0)
    ctx.obj = {"debug": debug, "output": out}
    ctx.with_resource(waits_told_to(out.info))  # a fetch says what it waits for, and how long


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get(CONFIG_ENV, "feeds.yaml"),
    show_default="feeds.yaml, or $FEEDBRIDGE_CONFIG",
    help="The feeds config file.",
)


class _Moment(click.ParamType):
    """A moment: an ISO 8601 date and time with its offset, or seconds since 1970 (UTC), as
    SOURCE_DATE_EPOCH gives them."""

    name = "TIME"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if text.lstrip("-").isdigit():
                return datetime.fromtimestamp(int(text), timezone.utc)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError, OSError):
            self.fail(f"{text!r} is neither an ISO 8601 time (2026-06-08T05:23:00Z) nor seconds since 1970", param, ctx)
        if moment.utcoffset() is None:
            self.fail(f"{text!r} has no offset: add Z or +HH:MM", param, ctx)
        return moment


now_option = click.option(
    "--now", type=_Moment(), envvar="SOURCE_DATE_EPOCH", show_envvar=True,
    help="The time the run takes as now (which announcement is due, the status times): an ISO 8601"
    " time or seconds since 1970; the same inputs at the same --now give the same bytes. Default: the clock.",
)


def _load(config_path: Path):
    """The config, with every feed's model checked to serve its language pair."""
    from feedbridge.config import load_config
    from feedbridge.translate.backend import check_models

    config = load_config(config_path)
    check_models(config)
    return config


@cli.command(short_help="Fetch, translate and publish every feed in the config.")
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the feeds here instead of the config's site.output_dir.")
@click.option("--from-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Read what 'feedbridge fetch --out DIR' saved instead of the network: the feeds"
              " DIR/<category>.xml, the previous site DIR/previous (unless the output folder's is as new),"
              " the missed days DIR/missed and the API's answers DIR/arxiv-api.json (with the cache's).")
@click.option("--offline", is_flag=True,
              help="Make no network connection: the feeds are the copies the last online run kept"
              " (or --from-dir's), enrichment uses its cache, the previous state is the output"
              " folder, and a missing translation package fails with a hint.")
@click.option("--only", multiple=True, metavar="FEED",
              help="Build only this feed (its name or category); repeat for several.")
@click.option("--base-url", help="The site's public URL, overriding site.base_url (CI passes the Pages URL);"
              " the previous run's history is read from it.")
@click.option("--strict", is_flag=True,
              help="Count a stale feed as failed too: exit 4 (the new site is still published).")
@click.option("--summary", "summary_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the run summary as a Markdown table to FILE (CI passes $GITHUB_STEP_SUMMARY).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the run summary as JSON on stdout (schema: docs/commands.md, 'build --json').")
@click.option("--dry-run", is_flag=True,
              help="Say what would be fetched, how many papers are new, how many sentences need the"
              " model, and how long it would take; write nothing.")
@click.option("--memory-only", is_flag=True,
              help="Take every translation from the translation memory (filled by 'cache fill' jobs and"
              " 'cache merge'); a sentence it lacks fails the run, naming it, instead of calling a model.")
@now_option
@click.pass_context
def build(ctx: click.Context, config_path: Path, out_dir: Path | None, from_dir: Path | None, offline: bool,
          only: tuple[str, ...], base_url: str | None, strict: bool, summary_file: Path | None,
          as_json: bool, dry_run: bool, memory_only: bool, now: datetime | None) -> None:
    """Fetch, translate and publish every feed in the config, with the site around them."""
    from feedbridge.pipeline import BuildOptions, build as run_build
    from feedbridge.report import (
        append_summary, feed_summary_line, gap_lines, run_line, summary_json, summary_markdown,
    )

    out = _output(ctx)
    config = _load(config_path)
    options = BuildOptions(out_dir=out_dir, from_dir=from_dir, offline=offline, only=only, base_url=base_url, now=now,
                           memory_only=memory_only)
    if dry_run:
        _dry_run(config, options, out, as_json)
        return
    progress = _ProgressBars() if out.tty and not as_json else None
    try:
        report = run_build(config, options, log=out.info, detail=out.detail, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    for outcome in report.outcomes:
        if outcome.troubled(strict):
            out.error(f"{outcome.feed.name}: {outcome.problem()}")
    target = out_dir or config.output_dir
    if report.withheld:
        out.error(f"no new site was published: {report.withheld}; {target} is unchanged")
    if summary_file is not None:
        try:
            append_summary(summary_file, summary_markdown(report, strict))
        except FeedbridgeError as err:  # the site is published either way: say so, keep the exit code
            out.error(str(err))
    for outcome in report.outcomes:
        out.info(feed_summary_line(outcome))
    for line in gap_lines(report):
        out.info(line)
    final = run_line(report, target)
    if as_json:
        out.info(final)
        click.echo(json.dumps(summary_json(report, strict), ensure_ascii=False, indent=1))
    elif out.verbosity >= 0:
        click.echo(final)
    sys.exit(int(report.exit_code(strict)))


def _dry_run(config, options, out: _Output, as_json: bool) -> None:
    from feedbridge.pipeline import plan
    from feedbridge.report import dry_run_json, dry_run_lines

    run_plan = plan(config, options, log=out.info)
    if as_json:
        click.echo(json.dumps(dry_run_json(run_plan), ensure_ascii=False, indent=1))
        return
    for line in dry_run_lines(run_plan):
        click.echo(line)


@cli.command(short_help="Check a site before it is deployed.")
@click.argument("site_dir", metavar="[DIR]", required=False, type=click.Path(file_okay=False, path_type=Path))
@config_option
@click.option("--previous", metavar="DIR|URL",
              help="The site published before DIR (a folder, or the live site's URL): DIR must lose none"
              " of its entries except by the window's rules.")
@click.option("--base-url", help="The site's public URL, overriding site.base_url.")
@click.pass_context
def verify(ctx: click.Context, site_dir: Path | None, config_path: Path, previous: str | None,
           base_url: str | None) -> None:
    """Check a site (default: the config's output folder) before it is deployed: every
    configured feed present and valid, index, OPML and status consistent, no stray
    files, nothing published lost. Exits 0 when it may be published, else 1.

    An interrupted build's swap is finished first, so that DIR is a whole site.
    """
    from feedbridge.errors import ExitCode
    from feedbridge.publish import verify_output

    out = _output(ctx)
    config = _load(config_path)
    site = site_dir or config.output_dir
    problems = verify_output(site, config, previous, base_url, log=out.info)
    for problem in problems:
        out.error(str(problem))
    if problems:
        click.echo(f"{site}: {len(problems)} problems; do not publish it")
        sys.exit(int(ExitCode.FAILED))
    from feedbridge.report import feeds_counted
    from feedbridge.verify import site_bytes

    size = f"{site_bytes(site):,} of {config.max_site_bytes:,} bytes (site.max_bytes)"
    click.echo(f"{site}: verified, {feeds_counted(len(config.feeds))}, {size}"
               + (f"; nothing lost since {previous}" if previous else ""))


@cli.command(short_help="Write a starter config, valid as written.")
@config_option
@click.option("--categories", default="cs.AI", show_default=True, metavar="LIST",
              help="The arXiv categories to translate, comma-separated (e.g. cs.AI,cs.CL).")
@click.option("--to", "target", default="ja", show_default=True, metavar="LANG",
              help="The language to translate into (an Argos Translate language code).")
@click.option("--force", is_flag=True, help="Overwrite the config file if it exists.")
@click.pass_context
def init(ctx: click.Context, config_path: Path, categories: str, target: str, force: bool) -> None:
    """Write a commented starter config, valid as written; then run 'feedbridge doctor'."""
    from feedbridge.starter import starter_config, write_starter

    text = starter_config(categories.split(","), target)
    write_starter(config_path, text, force=force)
    _output(ctx).info(f"wrote {config_path}: replace its two placeholders, then run 'feedbridge doctor'")


@cli.command(short_help="Check the set-up before a build, with the fix for each problem.")
@config_option
@click.option("--offline", is_flag=True, help="Leave out the checks that need the network.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds each network check may take.")
@now_option
@click.pass_context
def doctor(ctx: click.Context, config_path: Path, offline: bool, timeout: float, now: datetime | None) -> None:
    """Check the set-up before a build: one line per check, with the fix for each problem.

    Exits 0 when nothing needed is missing (advice, marked '!', does not fail), else 1.
    """
    from feedbridge import doctor as checkup

    checks = checkup.run_checks(config_path, offline=offline, timeout=timeout, now=now)
    out = _output(ctx)
    colours = {True: "green", False: "red"}
    for check in checks:
        line = checkup.format_check(check)
        if out.verbosity >= 0 or not (check.ok or not check.needed):
            colour = colours[check.ok] if check.ok or check.needed else "yellow"
            click.echo(click.style(line[0], fg=colour, bold=True) + line[1:])
    sys.exit(int(checkup.exit_code(checks)))


@cli.command(short_help="Translate a text or one paper, sentence by sentence.")
@click.argument("text", required=False)
@click.option("--arxiv", "arxiv_id", metavar="ID",
              help="Translate this paper's title and abstract (e.g. 2504.17830), found in the configured feeds.")
@config_option
@click.option("--from-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="With --arxiv: look in the saved feeds DIR/*.xml instead of fetching the configured ones.")
@click.option("--from", "source", metavar="LANG",
              help="The source language (default: the config's translation.from, else en).")
@click.option("--to", "target", metavar="LANG",
              help="The target language (default: the config's translation.to, else ja).")
@click.pass_context
def translate(ctx: click.Context, text: str | None, arxiv_id: str | None, config_path: Path,
              from_dir: Path | None, source: str | None, target: str | None) -> None:
    """Translate TEXT (or a paper with --arxiv) with the installed package, printing
    each sentence and its translation."""
    from feedbridge import preview

    if (text is None) == (arxiv_id is None):
        raise click.UsageError("give either TEXT or --arxiv ID")
    needs_config = arxiv_id is not None and from_dir is None  # the configured feeds are searched
    config = _load(config_path) if needs_config or config_path.exists() else None
    source = source or (config.feeds[0].source_lang if config else "en")
    target = target or (config.feeds[0].target_lang if config else "ja")
    if arxiv_id is not None:
        paper = preview.find_paper(arxiv_id, config, from_dir)
        _output(ctx).info(f"arXiv:{paper.arxiv_id}v{paper.version}: {paper.links.abstract}")
        translated = preview.translate_paper(paper, source, target, config)
        sentences = (*translated.title.sentences, *translated.abstract.sentences)
    else:
        sentences = preview.translate_text(text, source, target, config)
    for pair in sentences:
        click.echo(f"{source}: {pair.source}")
        mark = "" if pair.translated else "  [kept in the source language: the model's output was refused]"
        click.echo(f"{target}: {pair.target}{mark}")
        click.echo()


@cli.command(short_help="Preview the site on this machine.")
@click.option("--out", "out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("site"), show_default=True, help="The output folder to serve.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port on 127.0.0.1 (0: any free port).")
def serve(out_dir: Path, port: int) -> None:
    """Preview the site on http://127.0.0.1:PORT/ (this machine only) until Ctrl-C."""
    from feedbridge.serve import make_server

    server = make_server(out_dir, port)
    click.echo(f"serving {out_dir} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.group(short_help="Manage translation models: list, install, add, remove.")
def models() -> None:
    """Manage translation models: Argos Translate packages ($ARGOS_PACKAGES_DIR), and
    MarianMT models ($FEEDBRIDGE_MODELS_DIR) installed from the catalog or added from a folder."""


@models.command("list", short_help="List the installed models.")
def models_list() -> None:
    """List every model: installed Argos packages, then added MarianMT models, each with
    its language pair, name and version, kind, licence and folder."""
    from feedbridge.translate import marian
    from feedbridge.translate.packages import installed_packages, packages_dir

    argos_packages, marian_models = installed_packages(), marian.registered_models()
    if not argos_packages and not marian_models:
        click.echo(f"no translation models in {packages_dir()} or {marian.models_dir()}")
    for package in argos_packages:
        click.echo(f"{package.source_lang}->{package.target_lang}  {package.code} {package.version}  argos"
                   f"  licence: {marian.find_licence(package.path)}  {package.path}")
    for model in marian_models:
        click.echo(f"{model.source_lang}->{model.target_lang}  {model.name} {model.version}  {marian.KIND_NAME}"
                   f"  licence: {model.licence}  {model.path}")


@models.command("add", short_help="Add a MarianMT model from a folder.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "source", metavar="LANG",
              help="The language the model translates from (default: en; a converted folder does not say,"
              " unless it was copied from another models folder).")
@click.option("--to", "target", metavar="LANG",
              help="The language the model translates into (default: ja, with the same exception).")
@click.option("--name", help="The name that chooses it in translation.model or a feed's model"
              " (default: the folder's name).")
@click.option("--licence", "--license", "licence", metavar="TEXT",
              help="The model's licence (default: from its README or LICENSE file, else 'unknown').")
@click.option("--attribution", metavar="TEXT",
              help="What the site and the feeds say of the model, as its licence asks (a CC BY or CC BY-SA"
              " model: its name, authors and licence; default: its name, version and licence).")
def models_add(path: Path, source: str | None, target: str | None, name: str | None, licence: str | None,
               attribution: str | None) -> None:
    """Add the MarianMT model in PATH, copied into $FEEDBRIDGE_MODELS_DIR once a probe
    translation has run; a folder that fails is refused whole.

    PATH is either ct2-transformers-converter's output (model.bin, config.json, the
    vocabulary, source.spm, target.spm) or a Hugging Face MarianMT folder (config.json,
    model.safetensors or pytorch_model.bin, source.spm, target.spm, vocab.json), which is
    converted to int8 first: that needs the convert extra, with the CPU build of PyTorch
    installed before it (docs/models.md)."""
    from feedbridge.translate import marian
    from feedbridge.translate.backend import MODEL_KINDS

    model = marian.add_model(path, name=name, source=source, target=target, licence=licence,
                             reserved=MODEL_KINDS.kind_names, attribution=attribution)
    click.echo(f"added {model.name} {model.version} ({model.source_lang}->{model.target_lang}, licence: {model.licence})"
               f" in {model.path}; choose it with 'model: {model.name}'")


@models.command("remove", short_help="Remove a MarianMT model added with 'models add'.")
@click.argument("name")
def models_remove(name: str) -> None:
    """Remove the MarianMT model NAME added with 'models add' (Argos packages are not removed here)."""
    from feedbridge.translate import marian

    model = marian.remove_model(name)
    click.echo(f"removed {model.name} {model.version} ({model.source_lang}->{model.target_lang}) from {model.path}")


@models.command("install", short_help="Install a model from the catalog, the Argos index or a file.")
@click.argument("names", nargs=-1, metavar="[NAME | SOURCE TARGET]")
@click.option("--file", "archive", type=click.Path(dir_okay=False, path_type=Path),
              help="Install this .argosmodel file instead of downloading from the index.")
@click.pass_context
def models_install(ctx: click.Context, names: tuple[str, ...], archive: Path | None) -> None:
    """Install NAME from the model catalog (see 'models catalog'; $FEEDBRIDGE_MODEL_CATALOG
    replaces it), or the SOURCE->TARGET package from the Argos index ($ARGOS_PACKAGE_INDEX),
    or --file. A catalog model's files are checked against the sizes and SHA-256 sums of
    their first download, and it is installed whole or not at all."""
    from feedbridge.translate import packages

    if archive is not None:
        if names:
            raise click.UsageError("give either SOURCE TARGET or --file, not both")
        installed = packages.install_from_file(archive)
    elif len(names) == 1:
        _install_from_catalog(names[0], _output(ctx))
        return
    elif len(names) == 2:
        installed = packages.install_from_index(*names)
    else:
        raise click.UsageError("give a catalog model's NAME (e.g. 'fugumt'), SOURCE and TARGET language codes"
                               " (e.g. 'en ja'), or --file")
    click.echo(f"installed {installed.code} {installed.version} in {installed.path}")


def _install_from_catalog(name: str, out: _Output) -> None:
    from feedbridge.translate import catalog
    from feedbridge.translate.backend import MODEL_KINDS

    known = catalog.load_catalog()
    if name not in known:
        raise click.UsageError(
            f"{name!r} is not in the model catalog ({', '.join(known)}); an Argos package is installed with"
            " SOURCE TARGET (e.g. 'en ja'), a file with --file"
        )
    model = catalog.install(known[name], reserved=MODEL_KINDS.kind_names, log=out.info)
    click.echo(f"installed {model.name} {model.version} ({model.source_lang}->{model.target_lang},"
               f" licence: {model.licence}) in {model.path}; choose it with 'model: {model.name}'")


@models.command("catalog", short_help="List the models 'models install NAME' knows.")
def models_catalog() -> None:
    """List the models 'models install NAME' knows: name, language pair, title, licence,
    approximate size and what is downloaded ($FEEDBRIDGE_MODEL_CATALOG replaces the list)."""
    from feedbridge.translate import catalog

    for model in catalog.load_catalog().values():
        click.echo(model.line())


@cli.group(short_help="Inspect or trim the translation memory.")
def cache() -> None:
    """Inspect or trim the translation memory (<cache_dir>/translations.sqlite3)."""


def _memory_path(config_path: Path) -> Path:
    from feedbridge.translate.memory import FILE_NAME

    return _load(config_path).cache_dir / FILE_NAME


@cache.command("stats", short_help="Sentences stored per model and settings, and the store's size.")
@config_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the figures as JSON on stdout, each group with its memory key.")
def cache_stats(config_path: Path, as_json: bool) -> None:
    """Sentences stored per model and decoding settings (beam size, retries), how many were
    kept in the source language, when each group was last used, and the store's size."""
    from datetime import date, timedelta

    from feedbridge.translate.memory import TranslationMemory, settings_in_words

    path = _memory_path(config_path)
    if not path.exists():
        if as_json:
            click.echo(json.dumps({"path": str(path), "bytes": 0, "groups": []}, indent=1))
        else:
            click.echo(f"no translation memory yet at {path}")
        return
    def unreadable(problem: str) -> None:
        raise FeedbridgeError(problem)

    with TranslationMemory(path, read_only=True, warn=unreadable) as memory:
        rows = memory.stats()
        size = memory.size_bytes
    if as_json:
        groups = [{"model": row.package, "settings": settings_in_words(row.settings), "key": row.settings,
                   "sentences": row.entries, "kept_in_source_language": row.untranslated,
                   "in_fragments": row.in_fragments,
                   "last_used": (date(1970, 1, 1) + timedelta(days=row.last_used_day)).isoformat()}
                  for row in rows]
        click.echo(json.dumps({"path": str(path), "bytes": size, "groups": groups}, ensure_ascii=False, indent=1))
        return
    click.echo(f"{path}: {size / 2**20:.1f} MiB")
    for row in rows:
        last_used = date(1970, 1, 1) + timedelta(days=row.last_used_day)
        click.echo(f"model {row.package} ({settings_in_words(row.settings)}): {row.entries} sentences "
                   f"({row.untranslated} kept in the source language), last used {last_used}")


class _Shard(click.ParamType):
    """K/N: the K-th of N shards, 1 <= K <= N."""

    name = "K/N"

    def convert(self, value, param, ctx) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        try:
            shard, shards = (int(part) for part in str(value).split("/"))
        except ValueError:
            self.fail(f"{value!r} is not K/N, like 2/5", param, ctx)
        if not 1 <= shard <= shards:
            self.fail(f"{value!r}: K must be from 1 to N", param, ctx)
        return shard, shards


@cache.command("fill", short_help="Translate one shard of a build's sentences into a file.")
@config_option
@click.option("--from-dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The folder the build will read ('feedbridge fetch --out DIR').")
@click.option("--shard", required=True, type=_Shard(), help="This job's share: K of N.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The memory file to write this shard's translations to.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The previous site, as the build will have it (default: site.output_dir).")
@now_option
@click.pass_context
def cache_fill(ctx: click.Context, config_path: Path, from_dir: Path, shard: tuple[int, int], out_file: Path,
               out_dir: Path | None, now: datetime | None) -> None:
    """Translate one shard of what 'build --from-dir DIR' would translate, into FILE.

    Shards split by a hash of each sentence: they never overlap, and N of them are
    together what one build would translate. Fold them in with 'cache merge', then
    'build --memory-only' calls no model."""
    from feedbridge.pipeline import BuildOptions, fill

    out = _output(ctx)
    config = _load(config_path)
    options = BuildOptions(out_dir=out_dir, from_dir=from_dir, offline=True, now=now)
    done = fill(config, options, *shard, out_file, log=out.detail)
    out.info(f"shard {shard[0]}/{shard[1]}: {done} sentences translated into {out_file}")


@cache.command("merge", short_help="Fold shard files ('cache fill') into the translation memory.")
@config_option
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def cache_merge(ctx: click.Context, config_path: Path, shards: tuple[Path, ...]) -> None:
    """Fold shard memories ('cache fill') into the translation memory; a sentence translated
    differently in two of them is an error naming it, and that shard is not merged."""
    from feedbridge.translate.memory import TranslationMemory

    out = _output(ctx)
    with TranslationMemory(_memory_path(config_path)) as memory:
        for shard in shards:
            out.info(f"{shard}: {memory.merge(shard)} sentences added")


@cache.command("prune", short_help="Delete old entries from the translation memory.")
@config_option
@click.option("--unused-days", type=click.IntRange(min=0), default=90, show_default=True,
              help="Delete sentences not looked up for this many days.")
@click.option("--uninstalled", is_flag=True,
              help="Also delete every sentence of packages (or versions) no longer installed.")
def cache_prune(config_path: Path, unused_days: int, uninstalled: bool) -> None:
    """Delete old entries from the translation memory; a later run translates them again."""
    from feedbridge.translate.memory import TranslationMemory
    from feedbridge.translate.marian import registered_models
    from feedbridge.translate.packages import installed_packages

    path = _memory_path(config_path)
    if not path.exists():
        click.echo(f"no translation memory yet at {path}")
        return
    keep = [p.provenance for p in installed_packages()] + [m.provenance for m in registered_models()] if uninstalled else None
    with TranslationMemory(path, warn=lambda line: click.echo(line, err=True)) as memory:
        removed = memory.prune(unused_days=unused_days, keep_packages=keep)
    click.echo(f"removed {removed} sentences from {path}")


@cli.command(short_help="Save what a build reads from arXiv, for builds offline.")
@config_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder to save what a build reads in: the feeds, the previous site, the missed days"
              " and the API's answers.")
@click.option("--out-dir", "site_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The output folder the build will have, whose site may be the previous one"
              " (default: site.output_dir).")
@click.option("--base-url", help="The site's public URL, overriding site.base_url (CI passes the Pages URL);"
              " the previous site is read from it unless the output folder holds a newer one.")
@now_option
@click.pass_context
def fetch(ctx: click.Context, config_path: Path, out_dir: Path, site_dir: Path | None, base_url: str | None,
          now: datetime | None) -> None:
    """Fetch what a build reads from the network once, politely, for builds that read it offline.

    Plans the build an online 'build' would run at --now, up to its translation, and
    saves in DIR what it read: every configured category's feed, the previous site
    (DIR/previous), the missed days read back from the arXiv API (DIR/missed) and the
    API's answers (DIR/arxiv-api.json); then 'build --from-dir DIR' (or 'cache fill
    --from-dir DIR') needs no network. Exits 0 when every feed was saved, 4 when some
    were, 1 when none."""
    from feedbridge.errors import ExitCode
    from feedbridge.pipeline import BuildOptions, fetch_inputs

    out = _output(ctx)
    config = _load(config_path)
    options = BuildOptions(out_dir=site_dir, base_url=base_url, now=now)
    fetched = fetch_inputs(config, out_dir, options, log=out.info, detail=out.detail)
    for category, why in fetched.failed.items():
        out.error(f"{category}: not saved: {why}")
    click.echo(f"{len(fetched.saved)} of {len(fetched.saved) + len(fetched.failed)} feeds saved in {out_dir}")
    if fetched.failed:
        sys.exit(int(ExitCode.PARTIAL if fetched.saved else ExitCode.FAILED))


@cli.group(short_help="Tell a WebSub hub which feeds a publish changed.")
def websub() -> None:
    """WebSub: tell the config's hub (site.websub_hub) which feeds a publish changed."""


@websub.command("ping", short_help="Tell the hub which feeds the new build changed, once it is live.")
@config_option
@click.option("--base-url", required=True, help="The live site's URL (the publish workflow passes the Pages URL).")
@click.option("--generated", required=True, metavar="TIME",
              help="The new status.json's 'generated' time: the hub is told only once the live site serves it.")
@click.option("--wait", type=click.FloatRange(min=0), default=600.0, show_default=True,
              help="Seconds to wait for the live site to serve the new status.json.")
@click.pass_context
def websub_ping(ctx: click.Context, config_path: Path, base_url: str, generated: str, wait: float) -> None:
    """Once the live site serves the new build, tell the hub of every feed it changed.

    Exits 0 when the hub was told (or the config names none), 1 when the new site was not
    served in time or the hub refused."""
    from feedbridge.config import load_config
    from feedbridge.previous import site_fetcher
    from feedbridge.websub import ping

    out = _output(ctx)
    config = load_config(config_path)
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    pinged = ping(config, base_url, generated, site_fetcher(config), wait=wait, log=out.detail, tell=out.info)
    if pinged.hub is None:
        out.info(f"no WebSub hub in {config.path} (site.websub_hub): nothing to tell")
    else:
        out.info(f"told {pinged.hub} of {len(pinged.urls)} feed files that changed")


def main() -> None:
    cli(prog_name="feedbridge")


if __name__ == "__main__":
    main()
