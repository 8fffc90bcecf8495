"""The command line: options in, one-line errors out. All the work is in ebookify.build."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    help="Turn reader-insert fan fiction into one polished EPUB, with the reader's name in every Y/N.",
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ebookify {__version__}")
        raise typer.Exit()


# A callback keeps `build` a subcommand: a typer app with one command would swallow its name.
@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Turn reader-insert fan fiction into one polished EPUB, with the reader's name in every Y/N."""


@app.command()
def build(
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            "-n",
            metavar="NAME",
            help="The reader's name, written wherever a story says Y/N. Repeat for one book per friend: "
            "[bold]--name Sam --name Alex[/]. Leave out for a neutral edition that keeps Y/N.",
        ),
    ] = None,
    stories: Annotated[
        Path, typer.Option("--stories", metavar="DIR", help="Folder of story files, e.g. [bold]--stories ~/wattpad[/].")
    ] = Path("stories"),
    covers: Annotated[
        Path,
        typer.Option(
            "--covers",
            metavar="DIR",
            help="Folder of cover images (JPEG or PNG). The one named like the collection is used, "
            "or the only one; otherwise a cover is drawn with the title and the reader's name.",
        ),
    ] = Path("covers"),
    out_dir: Annotated[
        Path, typer.Option("--out-dir", metavar="DIR", help="Where the books go, e.g. [bold]--out-dir ~/Books[/].")
    ] = Path("dist"),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Exact output file, for one reader only: [bold]-o sam.epub[/]."
        ),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Fill another placeholder, repeatable: [bold]--set L/N=Rivers --set E/C=green[/]. "
            "Codes: F/N L/N M/N N/N E/C H/C H/L S/C F/C.",
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            metavar="TEXT",
            help='Book title, e.g. [bold]--title "Summer Reads"[/]. Default: the Wattpad book.',
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option("--author", metavar="TEXT", help='Author shown in the library, e.g. [bold]--author "Mara"[/].'),
    ] = None,
    language: Annotated[
        str,
        typer.Option(
            "--language", metavar="CODE", help="Language code of the stories, e.g. [bold]--language en-GB[/]."
        ),
    ] = "en",
) -> None:
    """Build the EPUB collection from every story file, e.g. [bold]ebookify build --name Sam[/]."""
    from .build import BuildOptions
    from .build import build as run_build
    from .errors import EbookifyError
    from .personalise import parse_setting

    try:
        options = BuildOptions(
            stories=stories,
            covers=covers,
            out_dir=out_dir,
            output=output,
            names=tuple(name or ()),
            values=dict(parse_setting(raw) for raw in settings or ()),
            title=title,
            author=author,
            language=language,
        )
        report = run_build(options, on_written=lambda w: typer.echo(str(w.path)))
    except EbookifyError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; nothing was left half-written", code=130)
    for warning in report.warnings:
        typer.echo(f"ebookify: warning: {warning}", err=True)
    typer.echo(_summary(report), err=True)


def _summary(report) -> str:
    collection = report.collection
    stories, parts = len(collection.stories), len(collection.chapters)
    words = sum(s.words for s in collection.stories)
    lines = [
        f"{len(report.written)} EPUB{'s' if len(report.written) != 1 else ''} of {collection.title!r}: "
        f"{stories} stor{'ies' if stories != 1 else 'y'}, {parts} part{'s' if parts != 1 else ''}, {words:,} words"
    ]
    for item in report.written:
        who = item.reader.name if item.reader.name is not None else "the neutral edition"
        lines.append(f"  {who}: {sum(item.tally.replaced.values())} placeholders replaced")
    return "\n".join(lines)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"ebookify: error: {message}", err=True)
    raise typer.Exit(code)
