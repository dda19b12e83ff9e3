"""The command line: parse options, call the library, print, map errors to exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from feedbridge import __version__
from feedbridge.errors import ExitCode, FeedbridgeError

CONFIG_ENV = "FEEDBRIDGE_CONFIG"


class _Group(click.Group):
    """Turns feedbridge's own errors into one line on stderr and a documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FeedbridgeError as err:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(f"Error: {err}", err=True)
            ctx.exit(int(err.exit_code))


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="feedbridge")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Bilingual arXiv feeds: each category's new papers, translated offline with
    Argos Translate, published as Atom next to the original."""
    ctx.obj = {"debug": debug}


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get(CONFIG_ENV, "feeds.yaml"),
    show_default="feeds.yaml, or $FEEDBRIDGE_CONFIG",
    help="The feeds config file.",
)


@cli.command()
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the feeds here instead of the config's site.output_dir.")
@click.option("--from-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Read saved feeds DIR/<category>.xml instead of fetching from arXiv.")
@click.option("--offline", is_flag=True,
              help="Never download: fail with a hint if a translation package is missing.")
@click.option("--only", multiple=True, metavar="FEED",
              help="Build only this feed (its name or category); repeat for several.")
@click.option("--base-url", help="The site's public URL, overriding site.base_url (CI passes the Pages URL).")
def build(config_path: Path, out_dir: Path | None, from_dir: Path | None, offline: bool,
          only: tuple[str, ...], base_url: str | None) -> None:
    """Fetch, translate and write every feed in the config."""
    from feedbridge.build import BuildOptions, build as run_build
    from feedbridge.config import load_config
    from feedbridge.translate.packages import installed_pairs

    config = load_config(config_path, installed_pairs())
    options = BuildOptions(out_dir=out_dir, from_dir=from_dir, offline=offline, only=only, base_url=base_url)
    report = run_build(config, options, log=_log)
    out = out_dir or config.output_dir
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(f"Error: {outcome.feed.name}: {outcome.message}", err=True)
    written = sum(o.status != "failed" for o in report.outcomes)
    click.echo(f"{written} of {len(report.outcomes)} feeds up to date in {out}")
    sys.exit(int(report.exit_code))


@cli.group()
def models() -> None:
    """Manage Argos Translate packages (folder: $ARGOS_PACKAGES_DIR)."""


@models.command("list")
def models_list() -> None:
    """List installed translation packages."""
    from feedbridge.translate.packages import installed_packages, packages_dir

    found = installed_packages()
    if not found:
        click.echo(f"no translation packages in {packages_dir()}")
    for package in found:
        click.echo(f"{package.source_lang}->{package.target_lang}  {package.code} {package.version}  {package.path}")


@models.command("install")
@click.argument("source", required=False)
@click.argument("target", required=False)
@click.option("--file", "archive", type=click.Path(dir_okay=False, path_type=Path),
              help="Install this .argosmodel file instead of downloading from the index.")
def models_install(source: str | None, target: str | None, archive: Path | None) -> None:
    """Install the SOURCE->TARGET package from the Argos index ($ARGOS_PACKAGE_INDEX), or --file."""
    from feedbridge.translate import packages

    if archive is not None:
        if source or target:
            raise click.UsageError("give either SOURCE TARGET or --file, not both")
        installed = packages.install_from_file(archive)
    elif source and target:
        installed = packages.install_from_index(source, target)
    else:
        raise click.UsageError("give SOURCE and TARGET language codes (e.g. 'en ja'), or --file")
    click.echo(f"installed {installed.code} {installed.version} in {installed.path}")


def main() -> None:
    cli(prog_name="feedbridge")


if __name__ == "__main__":
    main()
