"""The command line: options in, one-line errors out. The work is in ebookify.build and .check;
they are imported inside the commands so that `ebookify --help` stays quick."""

from __future__ import annotations

import errno
import gc
import json
import os
import re
import shlex
import sys
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

# A build makes millions of small objects that hold no cycles (frozen blocks, strings, tuples), and
# importing typer and ebookify makes thousands more: the cycle collector's default (a look every 700
# new objects, all of them now and then) took a fifth of a 1M-word build. It still runs, a hundred
# times less often. Set before the imports, which it speeds up too.
gc.set_threshold(100_000, 50, 100)

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402
from typer.main import get_command_name  # noqa: E402
from typer.models import CommandInfo  # noqa: E402

from . import __version__  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .build import BuildOptions, BuildReport
    from .check import CheckReport
    from .cover import AskCover
    from .deliver import Output
    from .mail import Settings as SmtpSettings
    from .model import Collection, Stats


class _OneLineGroup(TyperGroup):
    """The one place every run passes through: output that cannot fail on a character the
    terminal's encoding lacks, and click's own usage errors ("Invalid value for '--series-index'")
    in ebookify's one-line form, with click's exit code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        _tolerant_output()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            typer.echo("ebookify: error: aborted", err=True)
            sys.exit(1)
        except _Unwritable as exc:  # a command's output, or click's own (--help, say)
            _say_unwritable(exc)
            sys.exit(1)
        except Exception as exc:
            if not _is_click_error(exc):
                raise
            if _kind_of(exc, "NoArgsIsHelpError"):
                exc.show()  # type: ignore[attr-defined]  # plain `ebookify`: the help, as before
            else:
                typer.echo(f"ebookify: error: {_click_message(exc)}", err=True)
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        sys.exit(code if isinstance(code, int) else 0)


def _is_click_error(exc: Exception) -> bool:
    # By name: typer 0.28 carries its own copy of click, earlier typers use click itself.
    return _kind_of(exc, "ClickException")


def _kind_of(exc: Exception, name: str) -> bool:
    return any(kind.__name__ == name for kind in type(exc).__mro__)


def _click_message(exc) -> str:
    """ "Invalid value for '--series-index': 'abc' is not a valid integer." as one line of ours."""
    from .errors import one_line

    message = " ".join(exc.format_message().split("\n")).strip().rstrip(".")
    if message[:2].istitle():  # "Invalid value" -> "invalid value", as our own messages read
        message = message[0].lower() + message[1:]
    context = getattr(exc, "ctx", None)
    extra = re.match(r"got unexpected extra argument(?:\(s\)|s)? \((.*)\)$", message)
    if extra and context is not None and context.info_name in ("build", "check"):
        # `ebookify build Sam`: a name wants its option
        names = extra.group(1).split()
        options = " ".join(f"--name {shlex.quote(name)}" for name in names)
        what = "argument" if len(names) == 1 else "arguments"
        message = f"unexpected {what} {extra.group(1)}; to make a copy for {' and '.join(names)}, use {options}"
    elif context is not None:
        message += f"; see {context.command_path} --help"
    return one_line(message)


def run() -> None:
    """The `ebookify` program (and `python -m ebookify`): the app, then out at once. Python's own
    shutdown frees every object a build made, one by one: a tenth of a small build's time, for
    nothing, since by then the books are written and synced. Standard output is flushed here."""
    try:
        _only_the_command_asked(sys.argv[1:])
        app(prog_name="ebookify")
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if code is not None and not isinstance(code, int):  # sys.exit("message"), as Python says it
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()  # what was printed to a file is only written now, and may not fit
    except _Unwritable as exc:
        _say_unwritable(exc)
        code = code or 1
    except (OSError, ValueError):  # a reader gone from the pipe (`ebookify … | head -1`)
        pass
    with suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


def _only_the_command_asked(args: list[str]) -> None:
    """typer makes every command's click options from its signature at each start, 15 ms of a
    0.3 s build: when the first argument names a command, only that one is made. Anything else
    (no command, an option first, a misspelt command) meets the whole app, its help and its
    "No such command" as before."""
    asked = [command for command in app.registered_commands if args and _command_name(command) == args[0]]
    if asked:
        app.registered_commands[:] = asked


def _command_name(command: CommandInfo) -> str:
    return command.name or (get_command_name(command.callback.__name__) if command.callback else "")


def _tolerant_output() -> None:
    """Under LC_ALL=C (ASCII) printing "·" or a name like "Zoë" must not crash a finished build:
    characters the encoding lacks are shown as escapes instead. And standard output that cannot
    be written is said in one line (_GuardedOutput)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    if sys.stdout is not None and not isinstance(sys.stdout, _GuardedOutput):
        sys.stdout = _GuardedOutput(sys.stdout)  # type: ignore[assignment]


class _Unwritable(Exception):
    """Standard output failed (a full disk, an I/O error): said as one line, exit 1."""


class _GuardedOutput:
    """sys.stdout, and the byte layer beneath it (which click writes to itself when the text
    layer's encoding will not do), whose failure to write (`ebookify check --json > report.json` on
    a full disk) ends the run with one line, not a traceback. Once that is said, whatever still
    waits to be written is dropped: the final flush would only fail, and say it, again. A reader
    gone from the pipe (EPIPE) is no failure of ours: that error passes as it is, and click ends
    the run quietly, as `… | head -1` expects."""

    said = False  # that standard output failed: once, for both layers

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> int:
        if _GuardedOutput.said:
            return len(data)
        try:
            return self._stream.write(data)
        except OSError as exc:
            raise _unwritable(exc) from None

    def flush(self) -> None:
        if _GuardedOutput.said:
            return
        try:
            self._stream.flush()
        except OSError as exc:
            raise _unwritable(exc) from None

    @property
    def buffer(self) -> _GuardedOutput:
        return _GuardedOutput(self._stream.buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _unwritable(exc: OSError) -> OSError | _Unwritable:
    if exc.errno == errno.EPIPE:
        return exc
    return _Unwritable(f"cannot write to standard output: {exc.strerror or exc}")


def _say_unwritable(exc: _Unwritable) -> None:
    """The one line, once, whoever hears of the failure first (a command, or the final flush).
    Not said by the guard itself: click tries a stream with an empty write, and lets it fail."""
    if not _GuardedOutput.said:
        _GuardedOutput.said = True
        print(_line("error", str(exc)), file=sys.stderr)


# Path options are readable=False: click would refuse an unreadable path with its generic "Invalid
# value"; ebookify's own guard (inputs.py) says what is wrong with it, and where, in its words.
app = typer.Typer(
    cls=_OneLineGroup,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
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
        readable=False,
        help="A TOML file of friends, one book each: --readers friends.toml "
        '(each a [[reader]] table with name = "Sam" and values like "L/N" = "Rivers").',
    ),
]
Stories = Annotated[
    Path,
    typer.Option("--stories", metavar="DIR", readable=False, help="Folder of story files, e.g. --stories ~/wattpad."),
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
            readable=False,
            help="Folder of cover images (JPEG or PNG). The one named like the collection is used, "
            "or the only one; otherwise a cover is drawn with the title and the reader's name.",
        ),
    ] = Path("covers"),
    out_dir: Annotated[
        Path,
        typer.Option("--out-dir", metavar="DIR", readable=False, help="Where the books go, e.g. --out-dir ~/Books."),
    ] = Path("dist"),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            readable=False,
            help="Exact output file, for one reader only: -o sam.epub; or an existing folder to write the books into.",
        ),
    ] = None,
    title: Title = None,
    author: Annotated[
        str | None,
        typer.Option("--author", metavar="TEXT", help='Author shown in the library, e.g. --author "Mara".'),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            metavar="CODE",
            help="Language code of the stories, e.g. --language en-GB. Default: each AO3 work's own Language, else en.",
        ),
    ] = None,
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
            "Default: a lone AO3 work's series, or the Wattpad book the stories come from.",
        ),
    ] = None,
    series_index: Annotated[
        int | None,
        typer.Option(
            "--series-index",
            metavar="N",
            help="This book's number in the series: --series-index 2. Default: a lone AO3 work's Part N, else 1.",
        ),
    ] = None,
    css: Annotated[
        Path | None,
        typer.Option(
            "--css",
            metavar="FILE",
            readable=False,
            help="Your own stylesheet, added after ebookify's so that its rules win, e.g. --css mine.css.",
        ),
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help='Then e-mail each reader their own copy, to the email = "…" of their [[reader]] entry '
            "(the KEPUB too with --kepub, never to a Kindle). The server is set as for ebookify send.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --send: build, then say who would get which file, sending nothing.")
    ] = False,
) -> None:
    """Build the EPUB collection from every story file, e.g. ebookify build --name Sam."""
    with _cover_drawn_aside(name, readers) as ask_cover:
        from .build import build as run_build

        mailing = None
        with _errors_as_one_line():
            if dry_run and not send:
                _fail("--dry-run goes with --send: ebookify build --readers friends.toml --send --dry-run")
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
                css=css,
            )
            if send:  # the addresses and the server are checked before a build is made for nothing
                from .build import readers_for
                from .deliver import settings_for_build

                mailing = settings_for_build(readers_for(options), dry_run)
            with _progress() as on_progress:
                report = run_build(options, on_progress=on_progress, ask_cover=ask_cover)
    for written in report.written:  # after the progress bar has gone, each on a line of its own
        typer.echo(str(written.path))
    _warn(report.warnings)
    typer.echo(_summary(report), err=True)
    if mailing is not None:
        _send_built(report, mailing, kepub, dry_run)


@contextmanager
def _cover_drawn_aside(names: list[str] | None, readers_file: Path | None) -> Iterator[AskCover | None]:
    """For one reader (one --name or none, no readers file), the process that will draw the cover,
    forked before the build imports the rest of ebookify: it loads Pillow and the typefaces while
    this process imports, then reads the stories, and it draws while the book is made."""
    if readers_file is not None or len(names or ()) > 1:
        yield None
        return
    from .cover import drawing_process  # light: the rest of ebookify is imported after the fork

    with drawing_process() as ask:
        yield ask


def _send_built(report: BuildReport, settings: SmtpSettings, kepub: bool, dry_run: bool) -> None:
    from .deliver import build_deliveries, run

    deliveries, notes = build_deliveries(report.written, kepub)
    _warn(tuple(notes))
    with _errors_as_one_line():
        code = run(deliveries, settings, dry_run, _mail_output())
    if code:
        raise typer.Exit(code)


def _mail_output() -> Output:
    from .deliver import Output

    return Output(say=typer.echo, tell=lambda level, message: typer.echo(_line(level, message), err=True))


@app.command(short_help="E-mail books to a Kindle or to friends.")
def send(
    books: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[EPUB...]", readable=False, help="The books to send.", show_default=False),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="ADDRESS",
            help='Who gets every book, repeatable: --to sam@kindle.com --to "Alex <alex@example.com>".',
        ),
    ] = None,
    resend_failed: Annotated[
        bool, typer.Option("--resend-failed", help="Send again only what was not sent last time.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say who would get which file, sending nothing.")] = False,
    smtp_host: Annotated[
        str | None, typer.Option("--smtp-host", metavar="HOST", help="Your provider's SMTP server: smtp.gmail.com.")
    ] = None,
    smtp_port: Annotated[
        int | None, typer.Option("--smtp-port", metavar="N", help="Default: 465 with ssl, 587 with starttls.")
    ] = None,
    smtp_security: Annotated[
        str | None, typer.Option("--smtp-security", metavar="ssl|starttls|none", help="Default: starttls.")
    ] = None,
    smtp_user: Annotated[
        str | None,
        typer.Option(
            "--smtp-user",
            metavar="LOGIN",
            help="Your login. The password comes from EBOOKIFY_SMTP_PASSWORD or the keyring "
            "(keyring set ebookify LOGIN), never from the command line.",
        ),
    ] = None,
    smtp_from: Annotated[
        str | None, typer.Option("--smtp-from", metavar="ADDRESS", help="The sender. Default: the login.")
    ] = None,
    smtp_size_limit: Annotated[
        float | None,
        typer.Option("--smtp-size-limit", metavar="MB", help="Largest e-mail your provider takes. Default: 25."),
    ] = None,
) -> None:
    """E-mail books through your own SMTP account, one e-mail per address (several past
    Send-to-Kindle's 25 files or 50 MB), e.g. ebookify send dist/*.epub --to sam@kindle.com.
    Settings: [smtp] in the config.toml of your user config folder, EBOOKIFY_SMTP_* variables, these
    options. Exits 1 if anyone did not get their books."""
    from .deliver import send_command

    options = {
        "host": smtp_host,
        "port": smtp_port,
        "security": smtp_security,
        "user": smtp_user,
        "from": smtp_from,
        "size_limit": smtp_size_limit,
    }
    with _errors_as_one_line():
        code = send_command(books or [], to or [], resend_failed, dry_run, options, _mail_output())
    if code:
        raise typer.Exit(code)


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
    books: Annotated[
        list[Path], typer.Argument(metavar="EPUB...", readable=False, help="The books to check.", show_default=False)
    ],
) -> None:
    """Check EPUBs for what makes Send-to-Kindle refuse or garble a book, which EPUBCheck does not
    catch. Every build runs this on its own books. E.g. ebookify lint dist/*.epub."""
    from .errors import EbookifyError, one_line
    from .lint import check_file

    failed = False
    for book in books:  # every book is checked and reported, whatever the ones before it were
        try:
            violations = check_file(book)
        except EbookifyError as exc:
            typer.echo(one_line(f"ebookify: error: {exc}"), err=True)
            failed = True
            continue
        for violation in violations:
            level = "warning" if violation.warning else "error"
            typer.echo(one_line(f"ebookify: {level}: {book}: {violation}"), err=True)
        failed = failed or any(not v.warning for v in violations)
        if not violations:
            typer.echo(f"{book}: ok")
    if failed:
        raise typer.Exit(1)


@app.command(short_help="Share the collection: a web page and an OPDS catalog for e-readers.")
def serve(
    readers: ReadersFile = None,
    stories: Stories = Path("stories"),
    covers: Annotated[
        Path, typer.Option("--covers", metavar="DIR", readable=False, help="Folder of cover images, as for build.")
    ] = Path("covers"),
    title: Title = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="ADDRESS",
            help="Where to listen. The default, 127.0.0.1, is this computer only; --host 0.0.0.0 lets "
            "phones and e-readers on your network in, with an access code.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="N", min=0, max=65535, help="The port to listen on.")] = 8000,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            metavar="CODE",
            help="The access code to ask for (default: one made up and printed when --host is not this computer).",
        ),
    ] = None,
    rate_limit: Annotated[
        int,
        typer.Option(
            "--rate-limit",
            metavar="N",
            min=0,
            help="Requests one address may make a minute (pages, feeds and books alike); 0: no limit.",
        ),
    ] = 300,
) -> None:
    """Share the collection from this computer: each friend opens the page, types their name and
    downloads their own copy (EPUB or Kobo); e-reader apps browse /opds. E.g. ebookify serve --host 0.0.0.0."""
    from .serve.guard import RateLimit
    from .serve.run import serve as run_serve

    with _errors_as_one_line():
        options = _options(None, None, readers, stories, title, covers=covers)
        rate = RateLimit(burst=rate_limit, per_second=rate_limit / 60) if rate_limit else None
        run_serve(options, host, port, password, rate, say=typer.echo)


def _options(name, settings, readers, stories, title, **more) -> BuildOptions:
    from .build import BuildOptions

    values = dict(_setting(raw) for raw in settings or ())
    return BuildOptions(
        stories=stories, names=tuple(name or ()), values=values, readers_file=readers, title=title, **more
    )


def _setting(raw: str) -> tuple[str, str]:
    """--set L/N=Rivers -> ("L/N", "Rivers"); the code and the value are checked by the build."""
    from .errors import EbookifyError

    key, sep, value = raw.partition("=")
    if not sep:
        raise EbookifyError(f"--set {raw!r} is not KEY=VALUE (for example --set L/N=Rivers)")
    return key, value


# The build's options as this command line spells them, for its error messages.
_FLAGS = {
    "title": "--title",
    "author": "--author",
    "series": "--series",
    "series_index": "--series-index",
    "language": "--language",
    "values": "--set",
    "names": "--name",
    "strict": "--strict",
    "output": "-o/--output",
    "out_dir": "--out-dir",
}


@contextmanager
def _errors_as_one_line():
    from .errors import EbookifyError, OptionError
    from .interrupt import Terminated, stops_as_exceptions

    try:
        with stops_as_exceptions():
            yield
    except BaseException as exc:
        stop = _stop_behind(exc)  # first: whatever the clean-up after a stop raised, the stop is the news
        if stop is not None:
            _stopped()
            said, code = ("terminated", 143) if isinstance(stop, Terminated) else ("interrupted", 130)
            _fail(f"{said}; nothing was left half-written", code=code)
        if isinstance(exc, OptionError):
            _fail(exc.as_flag(_FLAGS))
        if isinstance(exc, EbookifyError):
            _fail(str(exc))
        raise


def _stop_behind(exc: BaseException) -> BaseException | None:
    """The Ctrl-C or SIGTERM that `exc` is, or that it came about while handling: a signal can
    land inside a library's step (a ZipFile writing an entry), whose clean-up then fails in turn
    ("Can't close the ZIP file while there is an open writing handle"). The stop is what happened."""
    from .interrupt import Terminated

    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt | Terminated):
            return link
        seen.add(id(link))
        # What was raised `from` something, or `from None` on purpose, is not the stop's doing.
        link = link.__cause__ if link.__cause__ is not None or link.__suppress_context__ else link.__context__
    return None


def _stopped() -> None:
    """After Ctrl-C or SIGTERM, what the signal cut off halfway through being made (a ZipFile
    interrupted in its __init__) may complain as it is collected, after the stop's one line:
    "Exception ignored in …" and a traceback. The stop is said; such complaints are its doing."""
    sys.unraisablehook = lambda unraisable: None


@contextmanager
def _progress():
    """A progress bar on a terminal; nothing at all in a pipe or on CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("reading", total=None)
        shown = ["reading"]

        def update(done: int, total: int, doing: str) -> None:
            progress.update(task, completed=done, total=total, description=doing)
            if doing != shown[0]:  # each new step is shown, however quickly it passes
                shown[0] = doing
                progress.refresh()

        yield update


def _summary(report: BuildReport) -> str:
    """'1 EPUB and 1 Kobo KEPUB of 'Title': 3 stories, 5 parts, 12,345 words', then a line a reader."""
    collection = report.collection
    kepubs = sum(1 for item in report.written if item.path.name.endswith(".kepub.epub"))
    books = _count(len(report.written) - kepubs, "EPUB") + (f" and {_count(kepubs, 'Kobo KEPUB')}" if kepubs else "")
    lines = [f"{books} of {collection.title!r}: {_extent(collection)}"]
    for item in report.written:
        if item.path.name.endswith(".kepub.epub"):  # the same reader's Kobo copy: said once
            continue
        who = item.reader.name if item.reader.name is not None else "the neutral edition"
        replaced = sum(item.tally.replaced.values())
        lines.append(f"  {who}: {_count(replaced, 'placeholder')} replaced")
    return "\n".join(lines)


def _count(number: int, noun: str, plural: str | None = None) -> str:
    from .render import count_of  # render is imported only when there is something to print

    return count_of(number, noun, plural)


def _extent(collection: Collection) -> str:
    """'5 stories, 7 parts, 3,345 words': the build's summary and the dry run say it alike."""
    words = sum(s.words for s in collection.stories)
    stories, parts = len(collection.stories), len(collection.chapters)
    return f"{_count(stories, 'story', 'stories')}, {_count(parts, 'part')}, {_count(words, 'word')}"


def _print_check(report: CheckReport) -> None:
    """Tables on a terminal (narrower ones when it is narrow, never a number cut); plain lines in a
    pipe, for less and grep. Warnings and errors go to standard error either way."""
    if sys.stdout.isatty():
        _print_check_tables(report)
    else:
        for line in _check_lines(report):
            typer.echo(line)
    _warn(report.warnings)
    for error in report.errors:
        typer.echo(_line("error", error), err=True)


def _check_lines(report: CheckReport) -> list[str]:
    lines = []
    if report.collection:
        collection = report.collection
        lines.append(f"{collection.title}: {_extent(collection)}")
        for story in collection.stories:
            lines.append(
                f"{story.title}" + (f" ({story.who})" if story.who else "") + f": {_count(story.words, 'word')}"
            )
            for part in story.parts:
                label = f"part {part.part}" if part.part else "one-shot"
                lines.append(f"  {label}: {part.source}, {_count(part.words, 'word')}{_stats(part.stats, ', ')}")
    if report.placeholders:
        lines.append("placeholders:")
        lines += [
            f"  {f.code} ({_meaning(f.code)}): {f.count:,}×, first at {f.first}; {_value_state(report, f.code)}"
            for f in report.placeholders
        ]
    return lines


def _print_check_tables(report: CheckReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    wide = console.width >= 100  # room for a file column and Wattpad's counts beside the titles
    if report.collection:
        stories = Table(title=f"{_safe(report.collection.title)}: stories", title_justify="left")
        stories.add_column("story", ratio=1, overflow="fold")
        if wide:
            stories.add_column("part", no_wrap=True)
            stories.add_column("file", overflow="fold")
        stories.add_column("words", justify="right", no_wrap=True, min_width=5)
        if wide:
            stories.add_column("reads · votes · comments", no_wrap=True)
        for story in report.collection.stories:
            who = f"\n[dim]{_safe(story.who)}[/]" if story.who else ""
            stories.add_row(f"{_safe(story.title)}{who}", *([""] * wide * 2), f"{story.words:,}", *([""] * wide))
            for part in story.parts:
                number = str(part.part or "–")
                if wide:
                    stats = _stats(part.stats, "")
                    stories.add_row("", number, _safe(part.source), f"{part.words:,}", stats)
                else:
                    stories.add_row(f"  [dim]part {number}:[/] {_safe(part.source)}", f"{part.words:,}")
        console.print(stories)
    if report.placeholders:
        table = Table(title="placeholders", title_justify="left")
        table.add_column("code", no_wrap=True)
        table.add_column("means", ratio=1, overflow="fold")
        table.add_column("count", justify="right", no_wrap=True)
        table.add_column("first at", overflow="fold", ratio=1)
        table.add_column("value", ratio=1, overflow="fold")
        for found in report.placeholders:
            value = _safe(_value_state(report, found.code))
            if report.lacking(found.code):
                value = f"[red]{value}[/]"
            row = (found.code, _safe(_meaning(found.code)), f"{found.count:,}", _safe(str(found.first)), value)
            table.add_row(*row)
        console.print(table)


def _value_state(report: CheckReport, code: str) -> str:
    lacking, filled = report.lacking(code), report.filled(code)
    if not lacking:
        return "yes" if filled else "kept as written (neutral edition)"
    return "no value" + (f" for {', '.join(r.name or 'neutral' for r in lacking)}" if filled else "")


def _stats(stats: Stats | None, before: str) -> str:
    if stats is None:
        return ""
    return f"{before}{stats.reads} reads · {stats.votes} votes · {stats.comments} comments"


def _meaning(code: str) -> str:
    from .personalise import FAMILIES

    return FAMILIES.get(code, "unknown: fill with --set " + code + "=…")


def _safe(text: str) -> str:
    """Story text shown in a rich table is text, not rich markup ("[bold]" in a title stays)."""
    from rich.markup import escape

    return escape(text)


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        typer.echo(_line("warning", warning), err=True)


def _line(level: str, message: str) -> str:
    """One line whatever the message holds: a file name with a newline in it shows as "\\n"."""
    from .errors import one_line

    return f"ebookify: {level}: {one_line(message)}"


def _fail(message: str, code: int = 1) -> None:
    typer.echo(_line("error", message), err=True)
    raise typer.Exit(code)
