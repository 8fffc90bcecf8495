"""Sending the planned e-mails (mail.py) over SMTP, and saying how it went.

One connection serves every e-mail; each e-mail is built whole before it goes, so the server gets
all of it or nothing. A failure is one line naming the friend and the address; a temporary refusal
(4xx) is tried again after a pause that doubles; a failure that would be the same for everyone (a
wrong password, no server, a TLS failure) stops the run instead of being tried once per friend.
What was not sent is recorded, so that `ebookify send --resend-failed` sends only that.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EbookifyError, one_line
from .inputs import MB
from .mail import Batch, Delivery, Recipient, Settings, kindle_hint, load_settings, message, parse_recipient, plan
from .model import Reader

if TYPE_CHECKING:
    from .build import Written


@dataclass(frozen=True)
class Output:
    say: Callable[[str], None]  # a line on standard output
    tell: Callable[[str, str], None]  # (level, message): a line on standard error


@dataclass(frozen=True)
class Problem:
    text: str
    fatal: bool = False  # the same for every e-mail after it: stop trying
    transient: bool = False  # a 4xx: worth another try


# --- the commands ---------------------------------------------------------------------------------


def send_command(
    books: Sequence[Path],
    to: Sequence[str],
    resend_failed: bool,
    dry_run: bool,
    options: Mapping[str, object],
    out: Output,
) -> int:
    """`ebookify send`: every book to every --to address, or what failed last time."""
    gone = 0  # files that failed last time and are no longer there
    if resend_failed:
        if books or to:
            raise EbookifyError("--resend-failed sends what failed last time: give no books and no --to")
        deliveries, gone = _still_there(load_unsent(), out)
        if not deliveries:
            if not gone:
                out.tell("note", "nothing failed last time: there is nothing to send again")
            return 1 if gone else 0
    else:
        if not books or not to:
            raise EbookifyError("give the books and who gets them: ebookify send BOOK.epub --to sam@kindle.com")
        recipients: dict[str, Recipient] = {}  # one e-mail per address, whatever names it comes with
        for value in to:
            recipient = parse_recipient(value)
            recipients.setdefault(recipient.address.lower(), recipient)
        deliveries = [Delivery(recipient, tuple(dict.fromkeys(books))) for recipient in recipients.values()]
    settings = load_settings(options, need_server=not dry_run)
    return run(deliveries, settings, dry_run, out) or (1 if gone else 0)


def _still_there(deliveries: list[Delivery], out: Output) -> tuple[list[Delivery], int]:
    """What failed last time, less the files deleted since (said, and forgotten: they cannot be sent)."""
    kept, gone = [], []
    for delivery in deliveries:
        files = tuple(path for path in delivery.files if path.is_file())
        gone += [(delivery.to, path) for path in delivery.files if path not in files]
        if files:
            kept.append(Delivery(delivery.to, files))
    for to, path in gone:
        out.tell("error", f"{to}: {path} not sent: it is no longer there; build it again and send it")
    update_unsent(gone, [])
    return kept, len(gone)


def build_deliveries(written: Iterable[Written], with_kepub: bool) -> tuple[list[Delivery], list[str]]:
    """Each reader's own books from a build's report (build.Written), and a note for each reader
    who has no address. A Kindle address never gets the KEPUB; others get it only if asked."""
    files: dict[str | None, list[Path]] = {}
    readers: dict[str | None, Reader] = {}
    for item in written:
        key = item.reader.name
        readers.setdefault(key, item.reader)
        is_kepub = item.path.name.endswith(".kepub.epub")
        if not is_kepub or with_kepub:
            files.setdefault(key, []).append(item.path)
    deliveries, notes = [], []
    for key, reader in readers.items():
        if reader.email is None:
            who = f"{reader.name}'s copy" if reader.name is not None else "the neutral edition"
            fix = (
                f'add email = "…" to the [[reader]] at {reader.entry}' if reader.entry else "send it with ebookify send"
            )
            notes.append(f"{who} has no address, so it was not sent; {fix}")
            continue
        to = Recipient(reader.name, reader.email)
        mine = [path for path in files.get(key, []) if not (to.kindle and path.name.endswith(".kepub.epub"))]
        deliveries.append(Delivery(to, tuple(mine)))
    return deliveries, notes


def settings_for_build(readers: Sequence[Reader], dry_run: bool) -> Settings:
    """Checked before a build --send starts, so that a build is not made for nothing."""
    if not any(reader.email for reader in readers):
        raise EbookifyError('--send: no reader has an address; add email = "…" to each [[reader]] in the readers file')
    return load_settings({}, need_server=not dry_run)


def run(deliveries: Sequence[Delivery], settings: Settings, dry_run: bool, out: Output) -> int:
    """Send (or, dry, say) each friend's files; 1 if anyone did not get theirs."""
    planned = plan(deliveries, settings)
    for to, path, why in planned.unsendable:
        out.tell("error", f"{to}: {path} {'would not be' if dry_run else 'not'} sent: it {why}")
    if dry_run:
        for batch in planned.batches:
            out.say(f"would send to {batch.to}{_part(batch)}: {_files(batch)}")
        _kindle_hints(planned.batches, settings, out, remember=False)
        server = (
            f"from {settings.sender} via {settings.where}, {settings.security}" if settings.host else "no server set"
        )
        out.tell("note", f"dry run: nothing was sent ({server})")
        return 1 if planned.unsendable else 0
    sent: list[Batch] = []
    failed: list[Batch] = []
    try:
        sent, failed = send_batches(planned.batches, settings, out)
    finally:  # interrupted too: what was not confirmed sent is kept for --resend-failed
        done = {id(batch) for batch in sent}
        unsent = [(b.to, p) for b in planned.batches if id(b) not in done for p, _ in b.files]
        update_unsent([(b.to, p) for b in sent for p, _ in b.files], unsent)
    _kindle_hints(sent, settings, out)  # after a send that worked: Amazon drops mail from unknown senders
    _summary(planned.batches, failed, planned.unsendable, out)
    return 1 if failed or planned.unsendable else 0


def _part(batch: Batch) -> str:
    return f" (e-mail {batch.number} of {batch.of})" if batch.of > 1 else ""


def _files(batch: Batch) -> str:
    return ", ".join(f"{path} ({batch_size(data)})" for path, data in batch.files)


def batch_size(data: bytes) -> str:
    return f"{len(data) / MB:.1f} MB"


def _summary(
    batches: Sequence[Batch],
    failed: Sequence[Batch],
    unsendable: Sequence[tuple[Recipient, Path, str]],
    out: Output,
) -> None:
    """Who got everything that was theirs, and who did not, with the files they lack."""
    everyone = list(dict.fromkeys([b.to for b in batches] + [to for to, _, _ in unsendable]))
    missing: dict[Recipient, list[str]] = {}
    for to, path in [(b.to, p) for b in failed for p, _ in b.files] + [(to, p) for to, p, _ in unsendable]:
        missing.setdefault(to, []).append(path.name)
    got = [to for to in everyone if to not in missing]
    out.tell(
        "note", f"sent in full to {len(got)} of {len(everyone)}" + (f": {', '.join(map(str, got))}" if got else "")
    )
    if missing:
        lacking = "; ".join(f"{to} ({', '.join(names)})" for to, names in missing.items())
        again = "; to try again: ebookify send --resend-failed" if failed else ""
        out.tell("error", f"not sent: {lacking}{again}")


# --- sending --------------------------------------------------------------------------------------


def send_batches(batches: Sequence[Batch], settings: Settings, out: Output) -> tuple[list[Batch], list[Batch]]:
    """Each e-mail over one connection: (sent, failed)."""
    sender = settings.sender or ""
    messages = [message(batch, sender) for batch in batches]  # all built before anything goes
    session = _Session(settings)
    sent, failed = [], []
    stopped: Problem | None = None
    try:
        for batch, data in zip(batches, messages, strict=True):
            problem = stopped or _send_one(session, batch, data, out)
            if problem is None:
                sent.append(batch)
                out.say(f"sent to {batch.to}{_part(batch)}: {', '.join(str(p) for p, _ in batch.files)}")
                continue
            stopped = problem if problem.fatal else stopped
            failed.append(batch)
            out.tell("error", f"{batch.to}{_part(batch)}: not sent: {problem.text}")
    finally:
        session.close()
    return sent, failed


def _send_one(session: _Session, batch: Batch, data: bytes, out: Output) -> Problem | None:
    settings = session.settings
    for attempt in range(settings.retries + 1):
        try:
            session.send(settings.sender or "", batch.to.address, data)
            return None
        except (OSError, smtplib.SMTPException) as exc:
            problem = problem_of(exc, settings, len(data), session.connecting)
            session.close()
        if not problem.transient or attempt == settings.retries:
            return problem
        delay = settings.retry_delay * 2**attempt
        out.tell("warning", f"{batch.to}: {problem.text}; trying again in {delay:g} s")
        time.sleep(delay)
    return problem


class _Session:
    """An SMTP connection made when first needed, and made again after a failure."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None
        self.connecting = False

    def send(self, sender: str, address: str, data: bytes) -> None:
        if self.smtp is None:
            self.connecting = True
            self.smtp = _connect(self.settings)
            self.connecting = False
        # One recipient: sendmail raises SMTPRecipientsRefused when it is refused, and sends nothing.
        self.smtp.sendmail(sender, [address], data)

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            with suppress(OSError, smtplib.SMTPException):
                smtp.quit()
            smtp.close()


def _connect(settings: Settings) -> smtplib.SMTP:
    # The system's certificate authorities (SSL_CERT_FILE and SSL_CERT_DIR are honoured), and
    # the host name checked: a server that cannot prove who it is never gets the password.
    context = ssl.create_default_context()
    host, port, timeout = settings.host or "", settings.port, settings.timeout
    smtp = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        if settings.security == "ssl"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


# --- what went wrong, in words ----------------------------------------------------------------------


def problem_of(exc: BaseException, settings: Settings, size: int, connecting: bool) -> Problem:
    """The failure as one line for the user, and whether to stop or to try again."""
    where = settings.where
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Problem(
            f"{where} refused the login for {settings.user} ({_reply(exc)}); check the password "
            "(Gmail and Outlook want an app password)",
            fatal=not _temporary(exc.smtp_code),
            transient=_temporary(exc.smtp_code),
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        if _temporary(code):
            return Problem(f"{where} said to try later ({code} {_text(reply)})", transient=True)
        return Problem(f"{where} refused the address ({code} {_text(reply)})")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _response_problem(exc, settings, size, connecting)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "AUTH" in str(exc):
            return Problem(
                f"{where} offers no login (AUTH) on this connection; leave the user unset if it needs none, "
                "or check the security setting",
                fatal=True,
            )
        return Problem(
            f'{where} does not offer STARTTLS; set security = "ssl" if the port is for TLS (465), '
            'or "none" for a server on this machine',
            fatal=True,
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
        return Problem(f"{where} did not answer within {settings.timeout:g} s", fatal=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Problem(f"{where} closed the connection", fatal=connecting, transient=not connecting)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Problem(f"TLS failure with {where}: {_tls_reason(exc)}", fatal=True)
    if isinstance(exc, TimeoutError | socket.timeout):
        return Problem(f"{where} did not answer within {settings.timeout:g} s", fatal=True)
    if isinstance(exc, ConnectionRefusedError):
        return Problem(f"{where} refused the connection; check the host and port", fatal=True)
    if isinstance(exc, socket.gaierror):
        return Problem(f"cannot find the server {settings.host} ({exc.strerror})", fatal=True)
    if isinstance(exc, smtplib.SMTPException):
        return Problem(f"{where}: {_text(str(exc))}", fatal=connecting)
    return Problem(f"cannot reach {where}: {_text(getattr(exc, 'strerror', None) or str(exc))}", fatal=True)


def _response_problem(exc: smtplib.SMTPResponseException, settings: Settings, size: int, connecting: bool) -> Problem:
    code, where = exc.smtp_code, settings.where
    if code in (552, 523) or (code == 554 and b"size" in _raw(exc).lower()):
        return Problem(f"the e-mail is {size / MB:.1f} MB, more than {where} takes ({_reply(exc)}); lower size_limit")
    if isinstance(exc, smtplib.SMTPSenderRefused) and not _temporary(code):
        return Problem(f"{where} refused the sender {settings.sender} ({_reply(exc)})", fatal=True)
    if _temporary(code):
        return Problem(f"{where} said to try later ({_reply(exc)})", transient=True)
    return Problem(f"{where} refused the e-mail ({_reply(exc)})", fatal=connecting)


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _raw(exc: smtplib.SMTPResponseException) -> bytes:
    return exc.smtp_error if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error).encode()


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(reply: bytes | str) -> str:
    """A server's reply as one short line."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = one_line(" ".join(text.split()))
    return text if len(text) <= 200 else text[:199] + "…"


def _tls_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted ({_text(exc.verify_message or str(exc))})"
    if getattr(exc, "reason", None) == "WRONG_VERSION_NUMBER":  # a plain-text answer to TLS
        return 'it does not speak TLS on this port; set security = "starttls" (port 587)'
    return _text(getattr(exc, "reason", None) or str(exc))


# --- what is remembered between runs ------------------------------------------------------------------


def _state_file(name: str) -> Path:
    from platformdirs import user_state_path

    return user_state_path("ebookify", appauthor=False) / name


def load_unsent() -> list[Delivery]:
    """What failed last time, as one delivery per friend."""
    rows = _read_json(_state_file("unsent.json"), [])
    grouped: dict[Recipient, list[Path]] = {}
    for row in rows:
        grouped.setdefault(Recipient(row["name"], row["address"]), []).append(Path(row["file"]))
    return [Delivery(to, tuple(files)) for to, files in grouped.items()]


def update_unsent(done: Iterable[tuple[Recipient, Path]], failed: Iterable[tuple[Recipient, Path]]) -> None:
    """The record of what is still to send: what is done with (sent, or gone) is taken off, what
    failed is added."""
    path = _state_file("unsent.json")
    rows = {(r["name"], r["address"], r["file"]): r for r in _read_json(path, [])}
    for to, file in done:
        rows.pop((to.name, to.address, str(file.absolute())), None)
    for to, file in failed:
        rows[(to.name, to.address, str(file.absolute()))] = {
            "name": to.name,
            "address": to.address,
            "file": str(file.absolute()),
        }
    _write_json(path, list(rows.values()))


def _kindle_hints(batches: Sequence[Batch], settings: Settings, out: Output, remember: bool = True) -> None:
    """Once per Kindle address, ever: the approved-senders list, without which Amazon drops the mail
    that the server took. A dry run shows it without using up the once."""
    path = _state_file("kindle-hints.json")
    hinted = set(_read_json(path, []))
    new = [b.to for b in batches if b.to.kindle and b.to.address not in hinted]
    for to in dict.fromkeys(new):
        out.tell("note", kindle_hint(to, settings.sender or "your sending address"))
        hinted.add(to.address)
    if new and remember:
        _write_json(path, sorted(hinted))


def _read_json(path: Path, empty):
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as exc:
        raise EbookifyError(f"{path} cannot be read ({exc}); remove it to start afresh") from exc


def _write_json(path: Path, data) -> None:
    """Whole or not at all: a temporary file renamed over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
