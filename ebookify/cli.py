"""The command line: options in, one-line errors out. The work is in ebookify.build and .check;
they are imported inside the commands so that `ebookify --help` stays quick."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__

if TYPE_CHECKING:
    from .build import BuildOptions, BuildReport
    from .check import CheckReport

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich's help renderer imports Markdown and Pygments, which would more than
    # double the time `ebookify --help` takes.
    rich_markup_mode=None,
    help="Turn reader-insert fan fiction into one polished EPUB, with the reader's name in every Y/N.",
)

Names = Annotated[
    list[str] | None,
    typer.Option(
        "--name",
        "-n",
        metavar="NAME",
        help="The reader's name, written wherever a story says Y/N. Repeat for one book per friend: "
        "--name Sam --name Alex. Leave out for a neutral edition that keeps Y/N.",
    ),
]
Settings = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Fill another placeholder, repeatable: --set L/N=Rivers --set E/C=green. "
        "Codes: F/N L/N M/N N/N E/C H/C H/L S/C F/C, or any other the stories use. Overrides --readers.",
    ),
]
ReadersFile = Annotated[
    Path | None,
    typer.Option(
        "--readers",
        metavar="FILE",
        help="A TOML file of friends, one book each: --readers friends.toml "
        '(each a [[reader]] table with name = "Sam" and values like "L/N" = "Rivers").',
    ),
]
Stories = Annotated[
    Path, typer.Option("--stories", metavar="DIR", help="Folder of story files, e.g. --stories ~/wattpad.")
]
Title = Annotated[
    str | None,
    typer.Option("--title", metavar="TEXT", help='Book title, e.g. --title "Summer Reads". Default: the Wattpad book.'),
]


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


@app.command(short_help="Build the personalised EPUB collection.")
def build(
    name: Names = None,
    settings: Settings = None,
    readers: ReadersFile = None,
    stories: Stories = Path("stories"),
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
        Path, typer.Option("--out-dir", metavar="DIR", help="Where the books go, e.g. --out-dir ~/Books.")
    ] = Path("dist"),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Exact output file, for one reader only: -o sam.epub."),
    ] = None,
    title: Title = None,
    author: Annotated[
        str | None,
        typer.Option("--author", metavar="TEXT", help='Author shown in the library, e.g. --author "Mara".'),
    ] = None,
    language: Annotated[
        str,
        typer.Option("--language", metavar="CODE", help="Language code of the stories, e.g. --language en-GB."),
    ] = "en",
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Fail, writing nothing, if any placeholder would be left without a value."),
    ] = False,
    notes: Annotated[
        bool,
        typer.Option(
            "--notes/--no-notes",
            help="Keep the authors' notes, set apart from the stories, or leave them out. A note that only "
            "explains the placeholders is always left out of personalised copies.",
        ),
    ] = True,
    kepub: Annotated[
        bool,
        typer.Option("--kepub", help="Also write NAME.kepub.epub for Kobo, with its reading stats and positions."),
    ] = False,
    series: Annotated[
        str | None,
        typer.Option(
            "--series",
            metavar="TEXT",
            help='Series for calibre and e-readers, e.g. --series "Saltmarsh". '
            "Default: the Wattpad book, when the stories come from one.",
        ),
    ] = None,
    series_index: Annotated[
        int,
        typer.Option("--series-index", metavar="N", help="This book's number in the series: --series-index 2."),
    ] = 1,
) -> None:
    """Build the EPUB collection from every story file, e.g. ebookify build --name Sam."""
    from .build import build as run_build

    with _errors_as_one_line():
        options = _options(
            name,
            settings,
            readers,
            stories,
            title,
            covers=covers,
            out_dir=out_dir,
            output=output,
            author=author,
            language=language,
            strict=strict,
            kepub=kepub,
            series=series,
            series_index=series_index,
            notes=notes,
        )
        with _progress() as on_progress:
            report = run_build(options, on_written=lambda w: typer.echo(str(w.path)), on_progress=on_progress)
    for warning in report.warnings:
        typer.echo(f"ebookify: warning: {warning}", err=True)
    typer.echo(_summary(report), err=True)


@app.command(short_help="Check the stories and placeholders without writing a book.")
def check(
    name: Names = None,
    settings: Settings = None,
    readers: ReadersFile = None,
    stories: Stories = Path("stories"),
    title: Title = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON, for scripts.")] = False,
) -> None:
    """Check the stories without writing a book: stories, parts, words, every placeholder and where
    it first is, which have values, and warnings. Exits 1 on errors. E.g. ebookify check --name Sam."""
    from .check import check as run_check

    with _errors_as_one_line():
        report = run_check(_options(name, settings, readers, stories, title))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_check(report)
    if report.errors:
        raise typer.Exit(1)


@app.command(short_help="Check EPUBs against Send-to-Kindle's rules.")
def lint(
    books: Annotated[list[Path], typer.Argument(metavar="EPUB...", help="The books to check.", show_default=False)],
) -> None:
    """Check EPUBs for what makes Send-to-Kindle refuse or garble a book, which EPUBCheck does not
    catch. Every build runs this on its own books. E.g. ebookify lint dist/*.epub."""
    from .lint import check_file

    failed = False
    with _errors_as_one_line():
        for book in books:
            violations = check_file(book)
            for violation in violations:
                level = "warning" if violation.warning else "error"
                typer.echo(f"ebookify: {level}: {book}: {violation}", err=True)
            failed = failed or any(not v.warning for v in violations)
            if not violations:
                typer.echo(f"{book}: ok")
    if failed:
        raise typer.Exit(1)


def _options(name, settings, readers, stories, title, **more) -> BuildOptions:
    from .build import BuildOptions
    from .personalise import parse_setting

    values = dict(parse_setting(raw) for raw in settings or ())
    return BuildOptions(
        stories=stories, names=tuple(name or ()), values=values, readers_file=readers, title=title, **more
    )


@contextmanager
def _errors_as_one_line():
    from .errors import EbookifyError
    from .interrupt import Terminated, stops_as_exceptions

    try:
        with stops_as_exceptions():
            yield
    except EbookifyError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; nothing was left half-written", code=130)
    except Terminated:
        _fail("terminated; nothing was left half-written", code=143)


@contextmanager
def _progress():
    """A progress bar on a terminal; nothing at all in a pipe or on CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("building"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("build", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _summary(report: BuildReport) -> str:
    collection = report.collection
    stories, parts = len(collection.stories), len(collection.chapters)
    words = sum(s.words for s in collection.stories)
    lines = [
        f"{len(report.written)} EPUB{'s' if len(report.written) != 1 else ''} of {collection.title!r}: "
        f"{stories} stor{'ies' if stories != 1 else 'y'}, {parts} part{'s' if parts != 1 else ''}, {words:,} words"
    ]
    for item in report.written:
        if item.path.name.endswith(".kepub.epub"):  # the same reader's Kobo copy: said once
            continue
        who = item.reader.name if item.reader.name is not None else "the neutral edition"
        lines.append(f"  {who}: {sum(item.tally.replaced.values())} placeholders replaced")
    return "\n".join(lines)


def _print_check(report: CheckReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if report.collection:
        stories = Table(title=f"{_safe(report.collection.title)}: stories", title_justify="left")
        stories.add_column("story")
        stories.add_column("part")
        stories.add_column("file", no_wrap=True)
        stories.add_column("words", justify="right")
        stories.add_column("reads · votes · comments", no_wrap=True)
        for story in report.collection.stories:
            who = f"\n[dim]{_safe(story.who)}[/]" if story.who else ""
            stories.add_row(f"{_safe(story.title)}{who}", "", "", f"{story.words:,}", "")
            for part in story.parts:
                stats = " · ".join(part.stats.__dict__.values()) if part.stats else ""
                stories.add_row("", str(part.part or "–"), _safe(part.source), f"{part.words:,}", stats)
        console.print(stories)
    if report.placeholders:
        table = Table(title="placeholders", title_justify="left")
        for column in ("code", "means", "count", "first at", "value"):
            table.add_column(
                column, no_wrap=column in ("code", "first at"), justify="right" if column == "count" else "left"
            )
        for found in report.placeholders:
            lacking, filled = report.lacking(found.code), report.filled(found.code)
            value = "yes" if filled else "kept as written (neutral edition)"
            if lacking:
                names = ", ".join(r.name or "neutral" for r in lacking)
                value = "[red]no value[/]" + (f" for {_safe(names)}" if filled else "")
            meaning = _safe(_meaning(found.code))
            table.add_row(found.code, meaning, str(found.count), _safe(str(found.first)), value)
        console.print(table)
    for warning in report.warnings:
        typer.echo(f"ebookify: warning: {warning}", err=True)
    for error in report.errors:
        typer.echo(f"ebookify: error: {error}", err=True)


def _meaning(code: str) -> str:
    from .personalise import FAMILIES

    return FAMILIES.get(code, "unknown: fill with --set " + code + "=…")


def _safe(text: str) -> str:
    """Story text shown in a rich table is text, not rich markup ("[bold]" in a title stays)."""
    from rich.markup import escape

    return escape(text)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"ebookify: error: {message}", err=True)
    raise typer.Exit(code)
