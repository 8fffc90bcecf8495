"""`ebookify send` and `build --send` against a real SMTP server on 127.0.0.1 (tests/mailserver.py):
each friend gets only their own copy, Send-to-Kindle's limits split or refuse, every failure is one
line naming the friend, and the password is never shown. Nothing here reaches past loopback."""

from __future__ import annotations

import io
import re
import socket
import zipfile
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import pytest
from conftest import epub_opf, epub_pages, invoke, page_text, story_text
from hypothesis import given, settings
from hypothesis import strategies as st
from mailserver import LOGIN, PASSWORD, Authority, Inbox, free_port, start, start_plain

from ebookify.errors import EbookifyError
from ebookify.mail import Recipient, Settings, check_address, encoded_size, group_files

FRIENDS = """\
[[reader]]
name = "Sam"
email = "sam@kindle.com"

[[reader]]
name = "Alex"
email = "alex@example.com"

[[reader]]
name = "Zoë"
email = "zoe@example.org"
"""


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend of the test's own (this machine has no system keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.stored.get((service, username))

    def set_password(self, service, username, password):
        self.stored[(service, username)] = password

    def delete_password(self, service, username):
        self.stored.pop((service, username), None)


@pytest.fixture(autouse=True)
def no_system_keyring():
    """Whatever the machine has, the tests read only the keyring they set."""
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return Authority(tmp_path)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def server(inbox: Inbox, authority: Authority):
    controller = start(inbox, authority)
    yield controller
    controller.stop()


@pytest.fixture
def env(tmp_path: Path, authority: Authority, server) -> dict[str, str]:
    """The environment of a user whose settings point at the test server (never a real one)."""
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "SSL_CERT_FILE": str(authority.ca_file),
        "SSL_CERT_DIR": str(tmp_path / "no-system-certificates"),
        "EBOOKIFY_SMTP_HOST": "127.0.0.1",
        "EBOOKIFY_SMTP_PORT": str(server.port),
        "EBOOKIFY_SMTP_SECURITY": "starttls",
        "EBOOKIFY_SMTP_USER": LOGIN,
        "EBOOKIFY_SMTP_PASSWORD": PASSWORD,
        "EBOOKIFY_SMTP_TIMEOUT": "5",
        "EBOOKIFY_SMTP_RETRY_DELAY": "0.01",
    }


@pytest.fixture
def project(tmp_path: Path, stories) -> Path:
    stories(
        {
            "01.txt": story_text(body="Y/N ran for the ferry.\nThe lights were going out."),
            "02.txt": story_text(title_line="Mara Voss - Low Tide", body="Y/N counted the gulls."),
        }
    )
    (tmp_path / "friends.toml").write_text(FRIENDS, encoding="utf-8")
    return tmp_path


def run(cwd: Path, env: dict[str, str], *args: str):
    result = invoke(cwd, *args, env=env)
    for stream in (result.stdout, result.stderr):
        assert PASSWORD not in stream  # never printed, whatever happened
    return result


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("ebookify: error:")]


def names_in(data: bytes) -> str:
    """All the text of a book's pages and its title, to see whose copy it is."""
    title = "".join(epub_opf(data).itertext())
    return title + "".join(page_text(page) for page in epub_pages(data).values())


# --- who gets what --------------------------------------------------------------------------------


def test_build_send_gives_each_friend_only_their_own_copy(project: Path, env, inbox: Inbox):
    result = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert result.returncode == 0, result.stderr
    books = {path.name: path.read_bytes() for path in (project / "dist").glob("*.epub")}
    assert len(books) == 3
    for name, address in (("Sam", "sam@kindle.com"), ("Alex", "alex@example.com"), ("Zoë", "zoe@example.org")):
        (got,) = inbox.to(address)
        assert got.rcpt_tos == [address]  # one friend per e-mail: nobody sees another's address
        assert got.mail_from == LOGIN
        ((filename, data),) = got.attachments().items()
        assert books[filename] == data  # the very bytes written to dist/
        text = names_in(data)
        assert f"{name} ran for the ferry" in text
        assert not any(other in text for other in {"Sam", "Alex", "Zoë"} - {name})
    assert "Alex <alex@example.com>" in inbox.to("alex@example.com")[0].message["To"]
    assert len(inbox.received) == 3
    assert "sent in full to 3 of 3" in result.stderr
    assert "Approved Personal Document E-mail List" in result.stderr  # sam@kindle.com: the one-time hint
    again = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert again.returncode == 0 and "Approved Personal" not in again.stderr  # one time only
    assert len(inbox.received) == 6


def test_the_kepub_goes_only_when_asked_and_never_to_a_kindle(project: Path, env, inbox: Inbox):
    result = run(project, env, "build", "--readers", "friends.toml", "--kepub", "--send")
    assert result.returncode == 0, result.stderr
    assert [name.endswith(".kepub.epub") for name in inbox.to("sam@kindle.com")[0].attachments()] == [False]
    alex = sorted(inbox.to("alex@example.com")[0].attachments())
    assert len(alex) == 2 and alex[1].endswith("-for-alex.kepub.epub")
    plain = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert all(len(r.attachments()) == 1 for r in inbox.received[3:]) and len(inbox.received) == 6, plain.stderr


def test_a_reader_without_an_address_is_built_but_not_sent(project: Path, env, inbox: Inbox):
    (project / "friends.toml").write_text(FRIENDS + '\n[[reader]]\nname = "Kit"\n', encoding="utf-8")
    result = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert result.returncode == 0, result.stderr
    assert (
        'ebookify: warning: Kit\'s copy has no address, so it was not sent; add email = "…" to the [[reader]] at '
        "friends.toml:13" in result.stderr
    )
    assert len(inbox.received) == 3 and len(list((project / "dist").glob("*.epub"))) == 4


def test_dry_run_says_who_gets_which_file_and_sends_nothing(project: Path, env, inbox: Inbox):
    del env["EBOOKIFY_SMTP_PASSWORD"]  # a dry run needs no password
    result = run(project, env, "build", "--readers", "friends.toml", "--send", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("would send")]
    assert lines == [
        f"would send to {who}: {Path('dist') / f'harbour-imagines-for-{stem}.epub'} ({size})"
        for who, stem, size in zip(
            ("Sam <sam@kindle.com>", "Alex <alex@example.com>", "Zoë <zoe@example.org>"),
            ("sam", "alex", "zoe"),
            [line.rpartition(" (")[2].rstrip(")") for line in lines],
            strict=True,
        )
    ]
    assert f"dry run: nothing was sent (from {LOGIN} via 127.0.0.1:{env['EBOOKIFY_SMTP_PORT']}, starttls)" in (
        result.stderr
    )
    assert inbox.received == [] and inbox.logins == []
    assert "sam@kindle.com is a Send-to-Kindle address" in result.stderr
    env["EBOOKIFY_SMTP_PASSWORD"] = PASSWORD
    sent = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert "sam@kindle.com is a Send-to-Kindle address" in sent.stderr  # the dry run did not use up the once


def test_dry_run_goes_with_send(project: Path, env):
    result = run(project, env, "build", "--readers", "friends.toml", "--dry-run")
    assert result.returncode == 1
    assert errors(result) == [
        "ebookify: error: --dry-run goes with --send: ebookify build --readers friends.toml --send --dry-run"
    ]
    assert not (project / "dist").exists()


def test_nothing_is_sent_unless_every_book_was_built(project: Path, env, inbox: Inbox):
    (project / "stories" / "03.txt").write_bytes(b"Mara Voss - Broken\n\n\x81\x8d not text\n")
    result = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert result.returncode == 1 and len(errors(result)) == 1
    assert inbox.received == [] and inbox.logins == []


def test_send_mails_every_book_to_every_address(project: Path, env, inbox: Inbox, tmp_path: Path):
    books = [tmp_path / "a.epub", tmp_path / "b.epub"]
    for number, book in enumerate(books):
        book.write_bytes(bytes([number]) * 1000)
    result = run(tmp_path, env, "send", "a.epub", "b.epub", "--to", "Sam <sam@kindle.com>", "--to", "kit@example.com")
    assert result.returncode == 0, result.stderr
    assert [r.rcpt_tos for r in inbox.received] == [["sam@kindle.com"], ["kit@example.com"]]
    for received in inbox.received:
        assert received.attachments() == {"a.epub": books[0].read_bytes(), "b.epub": books[1].read_bytes()}
    assert result.stdout.splitlines() == [
        "sent to Sam <sam@kindle.com>: a.epub, b.epub",
        "sent to kit@example.com: a.epub, b.epub",
    ]


# --- Send-to-Kindle's limits ------------------------------------------------------------------------


def test_26_books_to_a_kindle_go_in_two_emails(env, inbox: Inbox, tmp_path: Path):
    names = [f"book-{n:02}.epub" for n in range(26)]
    for name in names:
        (tmp_path / name).write_bytes(name.encode() * 10)
    result = run(tmp_path, env, "send", *names, "--to", "sam@kindle.com", "--to", "kit@example.com")
    assert result.returncode == 0, result.stderr
    kindle = inbox.to("sam@kindle.com")
    assert [len(r.attachments()) for r in kindle] == [25, 1]
    assert [r.message["Subject"] for r in kindle] == ["25 books (e-mail 1 of 2)", "book-25.epub (e-mail 2 of 2)"]
    assert [n for r in kindle for n in r.attachments()] == names  # each once, in order
    assert [len(r.attachments()) for r in inbox.to("kit@example.com")] == [26]  # not a Kindle: one e-mail


def test_the_provider_size_limit_splits_and_refuses(env, inbox: Inbox, tmp_path: Path):
    for name in ("a.epub", "b.epub", "c.epub"):
        (tmp_path / name).write_bytes(bytes(range(256)) * 200)  # 51,200 bytes: about 69 KB as mail
    (tmp_path / "huge.epub").write_bytes(b"x" * 300_000)
    env["EBOOKIFY_SMTP_SIZE_LIMIT"] = "0.2"  # MB: two of them fit in an e-mail, the huge one never
    result = run(tmp_path, env, "send", "a.epub", "b.epub", "huge.epub", "c.epub", "--to", "kit@example.com")
    assert result.returncode == 1
    assert [sorted(r.attachments()) for r in inbox.received] == [["a.epub", "b.epub"], ["c.epub"]]
    assert errors(result)[0] == (
        "ebookify: error: kit@example.com: huge.epub not sent: it is 0.3 MB (0.4 MB as an e-mail), "
        "over the 0.2 MB your provider takes (size_limit)"
    )
    assert errors(result)[1] == "ebookify: error: not sent: kit@example.com (huge.epub)"  # nothing to try again


def test_a_60_mb_book_is_not_mailed_to_a_kindle(env, inbox: Inbox, tmp_path: Path):
    (tmp_path / "big.epub").write_bytes(b"\0" * (60 * 2**20))
    (tmp_path / "small.epub").write_bytes(b"small")
    env["EBOOKIFY_SMTP_SIZE_LIMIT"] = "100"
    result = run(tmp_path, env, "send", "big.epub", "small.epub", "--to", "Sam <sam@kindle.com>")
    assert result.returncode == 1
    assert errors(result) == [
        "ebookify: error: Sam <sam@kindle.com>: big.epub not sent: it is 60.0 MB, over Send-to-Kindle's 50 MB "
        "e-mail limit; send it with the Send to Kindle app or web page instead",
        "ebookify: error: not sent: Sam <sam@kindle.com> (big.epub)",  # no --resend-failed: it would fail again
    ]
    assert result.stdout == "sent to Sam <sam@kindle.com>: small.epub\n"
    assert "sent in full to 0 of 1" in result.stderr
    assert [sorted(r.attachments()) for r in inbox.received] == [["small.epub"]]
    again = run(tmp_path, env, "send", "--resend-failed")
    assert again.returncode == 0 and "nothing failed last time" in again.stderr


def test_a_kepub_is_never_mailed_to_a_kindle(env, inbox: Inbox, tmp_path: Path):
    (tmp_path / "a.kepub.epub").write_bytes(b"kobo")
    result = run(tmp_path, env, "send", "a.kepub.epub", "--to", "sam@free.kindle.com", "--to", "kit@example.com")
    assert result.returncode == 1
    assert "sam@free.kindle.com: a.kepub.epub not sent: it is a Kobo KEPUB; a Kindle takes the EPUB" in result.stderr
    assert [r.rcpt_tos for r in inbox.received] == [["kit@example.com"]]


# --- failures ---------------------------------------------------------------------------------------


def _book(folder: Path) -> None:
    (folder / "a.epub").write_bytes(b"an epub")


def test_a_wrong_password_is_one_line_per_friend_and_tried_once(env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    env["EBOOKIFY_SMTP_PASSWORD"] = "wrong-" + PASSWORD[::-1]
    result = run(tmp_path, env, "send", "a.epub", "--to", "sam@kindle.com", "--to", "Kit <kit@example.com>")
    assert result.returncode == 1
    port = env["EBOOKIFY_SMTP_PORT"]
    refused = (
        f"127.0.0.1:{port} refused the login for {LOGIN} (535 5.7.8 Authentication credentials invalid); "
        "check the password (Gmail and Outlook want an app password)"
    )
    assert errors(result) == [
        f"ebookify: error: sam@kindle.com: not sent: {refused}",
        f"ebookify: error: Kit <kit@example.com>: not sent: {refused}",
        "ebookify: error: not sent: sam@kindle.com (a.epub); Kit <kit@example.com> (a.epub); "
        "to try again: ebookify send --resend-failed",
    ]
    # One login, not one per friend (a provider locks an account that keeps failing); smtplib tries
    # it by PLAIN, then by LOGIN.
    assert inbox.logins == [LOGIN, LOGIN]
    assert "Approved Personal" not in result.stderr  # the one-time hint waits for a send that works
    assert env["EBOOKIFY_SMTP_PASSWORD"] not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("refused connection", "127.0.0.1:{port} refused the connection; check the host and port"),
        ("timeout", "127.0.0.1:{port} did not answer within 0.5 s"),
        ("untrusted certificate", "TLS failure with 127.0.0.1:{port}: its certificate is not trusted"),
        (
            "TLS to a plain port",
            "TLS failure with 127.0.0.1:{port}: it does not speak TLS on this port; "
            'set security = "starttls" (port 587)',
        ),
    ],
)
def test_a_server_that_cannot_be_used_is_one_line_per_friend(case, expected, env, inbox, tmp_path: Path):
    _book(tmp_path)
    with socket.socket() as silent:
        if case == "refused connection":
            env["EBOOKIFY_SMTP_PORT"] = str(free_port())
        elif case == "timeout":  # it accepts, then never says a word
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            env["EBOOKIFY_SMTP_PORT"] = str(silent.getsockname()[1])
            env["EBOOKIFY_SMTP_TIMEOUT"] = "0.5"
        elif case == "untrusted certificate":  # another authority's certificate is no proof
            env["SSL_CERT_FILE"] = str(Authority(tmp_path / "other").ca_file if _mkdir(tmp_path / "other") else "")
        else:  # implicit TLS spoken to a server that starts in plain text
            env["EBOOKIFY_SMTP_SECURITY"] = "ssl"
        result = run(tmp_path, env, "send", "a.epub", "--to", "sam@kindle.com", "--to", "kit@example.com")
    assert result.returncode == 1
    line = expected.format(port=env["EBOOKIFY_SMTP_PORT"])
    lines = errors(result)
    assert len(lines) == 3, result.stderr
    for line_, who in zip(lines, ("sam@kindle.com", "kit@example.com"), strict=False):
        assert line_.startswith(f"ebookify: error: {who}: not sent: {line}")
    assert inbox.received == [] and inbox.logins == []


def _mkdir(folder: Path) -> bool:
    folder.mkdir()
    return True


def test_a_refused_recipient_fails_alone_and_is_sent_again_with_resend_failed(project: Path, env, inbox: Inbox):
    inbox.refuse["alex@example.com"] = "550 5.1.1 no such mailbox"
    result = run(project, env, "build", "--readers", "friends.toml", "--send")
    assert result.returncode == 1
    port = env["EBOOKIFY_SMTP_PORT"]
    assert errors(result) == [
        f"ebookify: error: Alex <alex@example.com>: not sent: 127.0.0.1:{port} refused the address "
        "(550 5.1.1 no such mailbox)",
        "ebookify: error: not sent: Alex <alex@example.com> (harbour-imagines-for-alex.epub); "
        "to try again: ebookify send --resend-failed",
    ]
    assert "sent in full to 2 of 3: Sam <sam@kindle.com>, Zoë <zoe@example.org>" in result.stderr
    assert [r.rcpt_tos for r in inbox.received] == [["sam@kindle.com"], ["zoe@example.org"]]
    del inbox.refuse["alex@example.com"]
    again = run(project, env, "send", "--resend-failed")
    assert again.returncode == 0, again.stderr
    assert [r.rcpt_tos for r in inbox.received[2:]] == [["alex@example.com"]]  # only what failed
    alex = (project / "dist" / "harbour-imagines-for-alex.epub").read_bytes()
    assert inbox.received[2].attachments() == {"harbour-imagines-for-alex.epub": alex}
    nothing = run(project, env, "send", "--resend-failed")
    assert nothing.returncode == 0 and "nothing failed last time" in nothing.stderr
    assert len(inbox.received) == 3
    for folder in (env["XDG_STATE_HOME"], env["XDG_CONFIG_HOME"]):  # what is kept between runs
        for kept in Path(folder).rglob("*"):
            assert not kept.is_file() or PASSWORD not in kept.read_text(encoding="utf-8")


def test_resend_failed_forgets_a_book_deleted_since(project: Path, env, inbox: Inbox):
    inbox.refuse["alex@example.com"] = inbox.refuse["zoe@example.org"] = "550 5.1.1 no such mailbox"
    assert run(project, env, "build", "--readers", "friends.toml", "--send").returncode == 1
    (project / "dist" / "harbour-imagines-for-alex.epub").unlink()
    inbox.refuse.clear()
    result = run(project, env, "send", "--resend-failed")
    assert result.returncode == 1
    assert errors(result) == [
        f"ebookify: error: Alex <alex@example.com>: {project / 'dist' / 'harbour-imagines-for-alex.epub'} not sent: "
        "it is no longer there; build it again and send it"
    ]
    assert [r.rcpt_tos for r in inbox.received] == [["sam@kindle.com"], ["zoe@example.org"]]
    again = run(project, env, "send", "--resend-failed")
    assert again.returncode == 0 and "nothing failed last time" in again.stderr


def test_a_busy_mailbox_is_tried_again_until_it_takes_the_mail(env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    inbox.busy["kit@example.com"] = 2
    result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("ebookify: warning:")]
    assert [w.rpartition("; ")[2] for w in warnings] == ["trying again in 0.01 s", "trying again in 0.02 s"]
    assert "451 4.3.0 mailbox busy" in warnings[0]
    assert [r.rcpt_tos for r in inbox.received] == [["kit@example.com"]]


def test_a_mailbox_busy_for_good_gives_up_after_the_retries(env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    inbox.busy["kit@example.com"] = 99
    env["EBOOKIFY_SMTP_RETRIES"] = "2"
    result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert result.returncode == 1 and inbox.received == []
    assert "said to try later (451 4.3.0 mailbox busy, try again later)" in errors(result)[0]
    assert inbox.busy["kit@example.com"] == 96  # tried three times


def test_a_message_too_big_for_the_server(inbox: Inbox, authority: Authority, env, tmp_path: Path):
    small = start(inbox, authority, size_limit=20_000)
    try:
        env["EBOOKIFY_SMTP_PORT"] = str(small.port)
        (tmp_path / "a.epub").write_bytes(b"x" * 30_000)
        (tmp_path / "b.epub").write_bytes(b"y" * 100)
        result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
        fits = run(tmp_path, env, "send", "b.epub", "--to", "sam@example.com")
    finally:
        small.stop()
    assert result.returncode == 1
    assert errors(result)[0] == (
        f"ebookify: error: kit@example.com: not sent: the e-mail is 0.0 MB, more than 127.0.0.1:{small.port} takes "
        "(552 Error: message size exceeds fixed maximum message size); lower size_limit"
    )
    assert fits.returncode == 0 and [r.rcpt_tos for r in inbox.received] == [["sam@example.com"]]


# aiosmtpd's warning is about its own check: on this port the whole connection is TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_works(inbox: Inbox, authority: Authority, env, tmp_path: Path):
    tls = start(inbox, authority, implicit_tls=True)
    try:
        env.update(EBOOKIFY_SMTP_PORT=str(tls.port), EBOOKIFY_SMTP_SECURITY="ssl")
        _book(tmp_path)
        result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    finally:
        tls.stop()
    assert result.returncode == 0, result.stderr
    assert inbox.received[0].attachments() == {"a.epub": b"an epub"}


# --- settings and secrets -----------------------------------------------------------------------------


def test_the_password_comes_from_the_keyring(env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    del env["EBOOKIFY_SMTP_PASSWORD"]
    missing = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert errors(missing) == [
        f"ebookify: error: no password for {LOGIN}: set EBOOKIFY_SMTP_PASSWORD, or store it once with: "
        f"keyring set ebookify {LOGIN}"
    ]
    keyring.set_keyring(keyring.backends.fail.Keyring())
    broken = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert "the system keyring cannot be read (NoKeyringError)" in errors(broken)[0]
    memory = MemoryKeyring()
    memory.set_password("ebookify", LOGIN, PASSWORD)
    keyring.set_keyring(memory)
    result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert result.returncode == 0, result.stderr
    assert inbox.logins == [LOGIN] and len(inbox.received) == 1


def test_settings_come_from_the_config_file_and_options_override_them(env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    port = env.pop("EBOOKIFY_SMTP_PORT")
    for key in ("HOST", "USER", "SECURITY"):
        del env[f"EBOOKIFY_SMTP_{key}"]
    config = tmp_path / "config" / "ebookify" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = 1\nuser = "{LOGIN}"\n', encoding="utf-8")
    result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com", "--smtp-port", port)
    assert result.returncode == 0, result.stderr
    assert inbox.received[0].mail_from == LOGIN
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\npassword = "{PASSWORD}"\n', encoding="utf-8")
    refused = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert errors(refused) == [
        f"ebookify: error: {config} has a password: keep it out of files; set EBOOKIFY_SMTP_PASSWORD or use "
        f"the keyring (keyring set ebookify YOUR-LOGIN)"
    ]


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"EBOOKIFY_SMTP_HOST": ""}, "no SMTP server set: put host = … under [smtp] in {config}"),
        ({"EBOOKIFY_SMTP_PORT": "x"}, "EBOOKIFY_SMTP_PORT='x' must be a whole number"),
        ({"EBOOKIFY_SMTP_SECURITY": "tls"}, "SMTP security 'tls' must be one of ssl, starttls, none"),
        ({"EBOOKIFY_SMTP_TIMEOUT": "inf"}, "the SMTP setting timeout = inf must be a number of seconds above 0"),
        ({"EBOOKIFY_SMTP_SIZE_LIMIT": "nan"}, "the SMTP setting size_limit = nan must be a number of MB above 0"),
        ({"EBOOKIFY_SMTP_PORT": "70000"}, "the SMTP setting port = 70000 must be a port from 1 to 65535"),
        (
            {"EBOOKIFY_SMTP_HOST": "mail.example.net", "EBOOKIFY_SMTP_SECURITY": "none"},
            f"will not send the password for {LOGIN} unencrypted to mail.example.net: use security ssl or starttls",
        ),
        ({"EBOOKIFY_SMTP_USER": "me", "EBOOKIFY_SMTP_FROM": "me@@x"}, "the sender (from) 'me@@x' is not one e-mail"),
    ],
)
def test_settings_that_cannot_send_are_one_line_before_anything_is_built(settings, error, project, env, inbox):
    env.update(settings)
    result = run(project, env, "build", "--readers", "friends.toml", "--send")
    config = Path(env["XDG_CONFIG_HOME"]) / "ebookify" / "config.toml"
    assert result.returncode == 1
    (line,) = errors(result)
    assert line.startswith("ebookify: error: " + error.format(config=config)), line
    assert not (project / "dist").exists() and inbox.received == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[smtp]\nhost = "127.0.0.1\n', "{config}:2 is not valid TOML: Illegal character '\\n'"),
        ("x = " + "[" * 3000 + "]" * 3000, "{config} nests arrays or tables too deeply; it holds one [smtp] table"),
        (b"[smtp]\nhost = '\x81'\n", "{config}:2 is not UTF-8 text; save it as UTF-8"),
    ],
    ids=["unclosed-string", "deep-arrays", "not-utf-8"],
)
def test_a_broken_config_file_is_one_line_naming_where(text, error, env, tmp_path: Path):
    """The settings file is read as the readers file is (readers.read_toml): located, never a traceback."""
    _book(tmp_path)
    config = tmp_path / "config" / "ebookify" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    assert (result.returncode, errors(result)) == (1, ["ebookify: error: " + error.format(config=config)])


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ('"sam"', "friends.toml:3 Sam's email 'sam' is not one e-mail address like sam@example.com"),
        ('"sam@kindle.com, alex@example.com"', "friends.toml:3 Sam's email 'sam@kindle.com, alex@example.com' is not"),
        ('"sam@kindle.com\\nBcc: x@example.com"', "friends.toml:3 Sam's email 'sam@kindle.com\\nBcc: x@example.com'"),
        ("42", "friends.toml:3 the value of email must be text in quotes"),
    ],
)
def test_a_bad_address_in_the_readers_file_is_one_line(email, error, project, env, inbox):
    (project / "friends.toml").write_text(FRIENDS.replace('"sam@kindle.com"', email), encoding="utf-8")
    result = run(project, env, "build", "--readers", "friends.toml")
    (line,) = errors(result)
    assert line.startswith(f"ebookify: error: {error}"), line
    assert not (project / "dist").exists()


def test_the_readers_file_names_a_friend_by_name_and_address(tmp_path: Path):
    from ebookify.readers import load_readers

    (tmp_path / "f.toml").write_text(FRIENDS, encoding="utf-8")
    assert [(r.name, r.email) for r in load_readers(tmp_path / "f.toml")] == [
        ("Sam", "sam@kindle.com"),
        ("Alex", "alex@example.com"),
        ("Zoë", "zoe@example.org"),
    ]


def test_the_message_is_whole_and_plain(env, inbox: Inbox, tmp_path: Path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
    (tmp_path / "a.epub").write_bytes(data.getvalue())
    result = run(tmp_path, env, "send", "a.epub", "--to", "Zoë <zoe@example.org>")
    assert result.returncode == 0, result.stderr
    message = inbox.received[0].message
    assert message["Subject"] == "a.epub" and message["From"] == LOGIN
    assert message["To"].addresses[0].display_name == "Zoë"
    (part,) = message.iter_attachments()
    assert part.get_content_type() == "application/epub+zip" and part.get_content() == data.getvalue()
    assert "Zoë, here is your book" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["a.epub"], "give the books and who gets them: ebookify send BOOK.epub --to sam@kindle.com"),
        (["--to", "kit@example.com"], "give the books and who gets them"),
        (["a.epub", "--to", "kit@example.com, sam@kindle.com"], "--to 'kit@example.com, sam@kindle.com' is not one"),
        (["a.epub", "--to", "Kit <kit@example.com> x"], "--to 'Kit <kit@example.com> x' is not one e-mail address"),
        (["a.epub", "--to", "kit@localhost"], "--to 'kit@localhost' is not one e-mail address"),
        (
            ["a.epub", "--to", "Kit\r\nBcc: x@example.com <kit@example.com>"],
            "--to 'Kit\\r\\nBcc: x@example.com <kit@example.com>' is not",
        ),
        (["missing.epub", "--to", "kit@example.com"], "missing.epub does not exist"),
        (["a.epub", "--resend-failed"], "--resend-failed sends what failed last time: give no books and no --to"),
    ],
)
def test_what_send_refuses_is_one_line_and_sends_nothing(args, error, env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    result = run(tmp_path, env, "send", *args)
    assert result.returncode == 1
    (line,) = errors(result)
    assert line.startswith(f"ebookify: error: {error}"), line
    assert inbox.received == [] and inbox.logins == []


def test_build_send_with_no_address_at_all_builds_nothing(project: Path, env, inbox: Inbox):
    result = run(project, env, "build", "--name", "Sam", "--send")
    assert errors(result) == [
        '--send: no reader has an address; add email = "…" to each [[reader]] in the readers file'.join(
            ("ebookify: error: ", "")
        )
    ]
    assert not (project / "dist").exists() and inbox.logins == []


def test_the_same_address_gets_one_email(env, inbox: Inbox, tmp_path: Path):
    _book(tmp_path)
    result = run(tmp_path, env, "send", "a.epub", "--to", "Kit <kit@example.com>", "--to", "KIT@example.com")
    assert result.returncode == 0, result.stderr
    assert [r.rcpt_tos for r in inbox.received] == [["kit@example.com"]]


SETTINGS = Settings(host="127.0.0.1", sender=LOGIN, size_limit=0.05)  # 52 KB: a few small files an e-mail


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 30_000), max_size=60), kindle=st.booleans())
def test_every_file_goes_once_in_order_and_every_email_keeps_the_limits(sizes, kindle):
    files = [(Path(f"{n}.epub"), b"x" * size) for n, size in enumerate(sizes)]
    to = Recipient(None, "sam@kindle.com" if kindle else "sam@example.com")
    groups = group_files(files, to, SETTINGS)
    assert [path for group in groups for path, _ in group] == [path for path, _ in files]
    for group in groups:
        assert group
        if len(group) > 1:  # a file alone in its e-mail is refused before, by plan()
            assert encoded_size(sum(len(data) for _, data in group)) <= SETTINGS.size_limit * 2**20
        assert not kindle or len(group) <= 25


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"[a-z.+\n-]{1,10}@[a-z.-]{1,10}\.[a-z]{2,4}", fullmatch=True))
def test_an_address_is_one_plain_address_or_an_error(text):
    try:
        address = check_address(text, "email")
    except EbookifyError as exc:
        assert "\n" not in str(exc)  # one line, whatever was typed
        return
    assert address.count("@") == 1 and not any(c.isspace() or ord(c) > 126 for c in address)
    assert "\n" not in address and ".." not in address


def test_a_real_process_sends_and_says_only_its_own_lines(project: Path, env, inbox: Inbox):
    """`python -m ebookify` as a user runs it: no traceback, no warning of a library, no password."""
    from test_cli import run as run_process

    inbox.refuse["alex@example.com"] = "550 5.1.1 no such mailbox"
    result = run_process(project, "build", "--readers", "friends.toml", "--send", env={**env, "CI": "1"})
    assert result.returncode == 1
    assert PASSWORD not in result.stdout + result.stderr
    summary = re.compile(r"\d+ EPUBs? of |  \S+: \d+ placeholders? replaced")
    assert all(line.startswith("ebookify: ") or summary.match(line) for line in result.stderr.splitlines()), (
        result.stderr
    )
    assert [r.rcpt_tos for r in inbox.received] == [["sam@kindle.com"], ["zoe@example.org"]]


@pytest.mark.parametrize(
    ("settings", "outcome"),
    [
        ({"EBOOKIFY_SMTP_SECURITY": "none"}, None),
        ({"EBOOKIFY_SMTP_HOST": "localhost", "EBOOKIFY_SMTP_SECURITY": "none"}, None),
        ({}, 'does not offer STARTTLS; set security = "ssl" if the port is for TLS (465), or "none" for a server'),
        (
            {"EBOOKIFY_SMTP_SECURITY": "none", "EBOOKIFY_SMTP_USER": LOGIN},
            "offers no login (AUTH) on this connection; leave the user unset if it needs none",
        ),
    ],
)
def test_a_plain_server_on_this_machine(settings, outcome, env, tmp_path: Path):
    """A relay like `python -m aiosmtpd -n`: no TLS, no login; security = "none" says so."""
    plain_inbox = Inbox()
    plain = start_plain(plain_inbox)
    try:
        del env["EBOOKIFY_SMTP_USER"], env["EBOOKIFY_SMTP_SECURITY"]
        env.update(EBOOKIFY_SMTP_PORT=str(plain.port), EBOOKIFY_SMTP_FROM=LOGIN, **settings)
        _book(tmp_path)
        result = run(tmp_path, env, "send", "a.epub", "--to", "kit@example.com")
    finally:
        plain.stop()
    if outcome is None:
        assert result.returncode == 0, result.stderr
        assert plain_inbox.received[0].attachments() == {"a.epub": b"an epub"}
    else:
        assert result.returncode == 1 and plain_inbox.received == []
        assert errors(result)[0].startswith(f"ebookify: error: kit@example.com: not sent: 127.0.0.1:{plain.port} "), (
            result.stderr
        )
        assert outcome in errors(result)[0]
