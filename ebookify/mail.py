"""E-mailing books: addresses, the SMTP settings, who gets which file, and the messages.

Settings come from `[smtp]` in config.toml in the user's config folder (platformdirs), then
EBOOKIFY_SMTP_* environment variables, then --smtp-* options, each overriding the one before. The
password is never a setting: it comes from EBOOKIFY_SMTP_PASSWORD or the system keyring, and is
kept out of every message, repr and file. Sending itself is in deliver.py.
"""

from __future__ import annotations

import email.utils
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from .errors import EbookifyError
from .inputs import MAX_EPUB_BYTES, MB, plain_error, read_regular
from .lint import EMAIL_LIMIT
from .validate import check_value, is_loopback

KINDLE_DOMAINS = ("kindle.com", "free.kindle.com", "kindle.cn")
KINDLE_MAX_FILES = 25  # Send-to-Kindle: attachments per e-mail
KINDLE_MAX_BYTES = EMAIL_LIMIT  # Send-to-Kindle: 50 MB of attachments per e-mail
KEYRING_SERVICE = "ebookify"
PASSWORD_VARIABLE = "EBOOKIFY_SMTP_PASSWORD"
SECURITY = ("ssl", "starttls", "none")
_DEFAULT_PORT = {"ssl": 465, "starttls": 587, "none": 25}
# One plain address: no display name, no comments, no spaces, ASCII (non-ASCII needs SMTPUTF8),
# and a domain name with a dot, as a real mailbox has.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# Each setting and its type: config.toml's [smtp] keys, and EBOOKIFY_SMTP_<KEY> in the environment.
_KEYS: dict[str, type] = {
    "host": str,
    "port": int,
    "security": str,
    "user": str,
    "from": str,
    "size_limit": float,
    "timeout": float,
    "retries": int,
    "retry_delay": float,
}


@dataclass(frozen=True)
class Settings:
    host: str | None = None
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    sender: str | None = None
    size_limit: float = 25.0  # MB per e-mail the user's provider takes (Gmail: 25)
    timeout: float = 60.0  # seconds to wait for the server
    retries: int = 3  # more tries after a temporary (4xx) refusal
    retry_delay: float = 5.0  # seconds before the first retry; doubled each time
    password: str | None = field(default=None, repr=False)  # never printed

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Recipient:
    name: str | None  # the friend's name, when known
    address: str

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address

    @property
    def kindle(self) -> bool:
        domain = self.address.rpartition("@")[2].lower()
        return domain in KINDLE_DOMAINS


@dataclass(frozen=True)
class Delivery:
    """One friend and the files that are theirs."""

    to: Recipient
    files: tuple[Path, ...]


def check_address(value: str, what: str) -> str:
    """One plain address (sam@kindle.com), or an error naming `what` (the file and reader)."""
    address = value.strip()
    if not _ADDRESS.match(address) or ".." in address or address.startswith("."):
        raise EbookifyError(f"{what} {value!r} is not one e-mail address like sam@example.com")
    return address


def parse_recipient(value: str) -> Recipient:
    """--to sam@kindle.com or --to "Sam <sam@kindle.com>"."""
    found = email.utils.getaddresses([value])
    name, address = found[0] if len(found) == 1 else ("", "")
    if not address or ("<" in value) != bool(re.search(r"^[^<>]*<[^<>]*>\s*$", value)):
        raise EbookifyError(f"--to {value!r} is not one e-mail address like sam@example.com")
    checked = check_value(name, "the name in --to") if name.strip() else None
    return Recipient(checked, check_address(address, "--to"))


# --- settings ------------------------------------------------------------------------------------


def config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("ebookify", appauthor=False) / "config.toml"


def load_settings(options: Mapping[str, object], need_server: bool = True) -> Settings:
    """The settings from the config file, the environment and `options` (key -> value or None).
    With need_server, a host, a sender and (for a login) a password must be known."""
    values: dict[str, object] = {**_from_file(config_path()), **_from_environment()}
    values.update({key: value for key, value in options.items() if value is not None})
    settings = _settings(values)
    if need_server:
        settings = _ready(settings)
    return settings


def _from_file(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    from .readers import read_toml

    table, _ = read_toml(path, MB, "it holds one [smtp] table")
    smtp = table.get("smtp", {})
    if set(table) - {"smtp"} or not isinstance(smtp, dict):
        raise EbookifyError(f"{path} holds only an [smtp] table (host = …, port = …, user = …)")
    for key, value in smtp.items():
        if key == "password":
            raise EbookifyError(
                f"{path} has a password: keep it out of files; set {PASSWORD_VARIABLE} or use the keyring "
                f"(keyring set {KEYRING_SERVICE} YOUR-LOGIN)"
            )
        _check_type(key, value, f"{path} [smtp] {key}")
    return dict(smtp)


def _from_environment() -> dict[str, object]:
    values: dict[str, object] = {}
    for key, kind in _KEYS.items():
        raw = os.environ.get(f"EBOOKIFY_SMTP_{key.upper()}")
        if raw is not None and raw != "":
            what = f"EBOOKIFY_SMTP_{key.upper()}"
            try:
                values[key] = kind(raw)
            except ValueError as exc:
                raise EbookifyError(f"{what}={raw!r} must be {_kind_name(kind)}") from exc
    return values


def _check_type(key: str, value: object, what: str) -> None:
    kind = _KEYS.get(key)
    if kind is None:
        raise EbookifyError(f"{what}: unknown setting; the settings are {', '.join(_KEYS)}")
    if (not isinstance(value, kind) and not (kind is float and isinstance(value, int))) or isinstance(value, bool):
        raise EbookifyError(f"{what} must be {_kind_name(kind)}")


def _kind_name(kind: type) -> str:
    return {str: "text in quotes", int: "a whole number", float: "a number"}[kind]


def _settings(values: Mapping[str, object]) -> Settings:
    security = str(values.get("security") or _security_for(values.get("port")))
    if security not in SECURITY:
        raise EbookifyError(f"SMTP security {security!r} must be one of {', '.join(SECURITY)}")
    user = _text(values.get("user"))
    sender = _text(values.get("from")) or (user if user and "@" in user else None)
    settings = Settings(
        host=_text(values.get("host")),
        port=int(values.get("port") or _DEFAULT_PORT[security]),  # type: ignore[call-overload]
        security=security,
        user=user,
        sender=check_address(sender, "the sender (from)") if sender else None,
        size_limit=float(values.get("size_limit", 25.0)),  # type: ignore[arg-type]
        timeout=float(values.get("timeout", 60.0)),  # type: ignore[arg-type]
        retries=int(values.get("retries", 3)),  # type: ignore[call-overload]
        retry_delay=float(values.get("retry_delay", 5.0)),  # type: ignore[arg-type]
    )
    _check_numbers(settings)
    return settings


def _check_numbers(settings: Settings) -> None:
    checks = (
        ("port", settings.port, 0 < settings.port < 65536, "a port from 1 to 65535"),
        ("size_limit", settings.size_limit, 0 < settings.size_limit < math.inf, "a number of MB above 0"),
        ("timeout", settings.timeout, 0 < settings.timeout < math.inf, "a number of seconds above 0"),
        ("retries", settings.retries, 0 <= settings.retries <= 10, "a number from 0 to 10"),
        ("retry_delay", settings.retry_delay, 0 <= settings.retry_delay <= 600, "a number of seconds up to 600"),
    )
    for key, value, good, wanted in checks:
        if not good:
            raise EbookifyError(f"the SMTP setting {key} = {value!r} must be {wanted}")


def _security_for(port: object) -> str:
    return "ssl" if port == 465 else "starttls"


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _ready(settings: Settings) -> Settings:
    """The settings with the password, refusing what cannot send (or would send it unencrypted)."""
    if settings.host is None:
        raise EbookifyError(
            f"no SMTP server set: put host = … under [smtp] in {config_path()}, set EBOOKIFY_SMTP_HOST, "
            "or give --smtp-host"
        )
    if settings.sender is None:
        raise EbookifyError("no sender address: set from = … under [smtp], EBOOKIFY_SMTP_FROM or --smtp-from")
    if settings.user is None:
        return settings
    if settings.security == "none" and not is_loopback(settings.host):
        raise EbookifyError(
            f"will not send the password for {settings.user} unencrypted to {settings.host}: "
            "use security ssl or starttls"
        )
    return replace(settings, password=_password(settings.user))


def _password(user: str) -> str:
    from_environment = os.environ.get(PASSWORD_VARIABLE)
    if from_environment:
        return from_environment
    how = f"set {PASSWORD_VARIABLE}, or store it once with: keyring set {KEYRING_SERVICE} {user}"
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, user)
    except Exception as exc:  # keyring.errors.KeyringError, or a backend's own failure
        raise EbookifyError(
            f"no password for {user}: the system keyring cannot be read ({type(exc).__name__}); {how}"
        ) from exc
    if not stored:
        raise EbookifyError(f"no password for {user}: {how}")
    return stored


# --- who gets what ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """One e-mail: a friend, their files (name, bytes), and which e-mail of theirs it is."""

    to: Recipient
    files: tuple[tuple[Path, bytes], ...]
    number: int = 1
    of: int = 1

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.files)


@dataclass(frozen=True)
class Plan:
    batches: tuple[Batch, ...]
    unsendable: tuple[tuple[Recipient, Path, str], ...]  # (who, file, why it cannot go by e-mail)


def plan(deliveries: Sequence[Delivery], settings: Settings) -> Plan:
    """Each friend's files in as few e-mails as the limits allow: Send-to-Kindle's (25 files and
    50 MB) for a Kindle address, and the provider's size limit for every address. A file that
    breaks a limit on its own cannot go by e-mail: it is said, not sent."""
    batches: list[Batch] = []
    unsendable: list[tuple[Recipient, Path, str]] = []
    contents: dict[Path, bytes] = {}
    for delivery in deliveries:
        ready: list[tuple[Path, bytes]] = []
        for path in delivery.files:
            data = contents.setdefault(path, read_book(path))
            why = _cannot_send(delivery.to, path, data, settings)
            if why:
                unsendable.append((delivery.to, path, why))
            else:
                ready.append((path, data))
        groups = group_files(ready, delivery.to, settings)
        batches += [Batch(delivery.to, tuple(group), n, len(groups)) for n, group in enumerate(groups, 1)]
    return Plan(tuple(batches), tuple(unsendable))


def read_book(path: Path) -> bytes:
    return read_regular(path, MAX_EPUB_BYTES, plain_error(path))


def _cannot_send(to: Recipient, path: Path, data: bytes, settings: Settings) -> str | None:
    if to.kindle and path.name.lower().endswith(".kepub.epub"):
        return "is a Kobo KEPUB; a Kindle takes the EPUB"
    if to.kindle and len(data) > KINDLE_MAX_BYTES:
        return (
            f"is {_mb(len(data))}, over Send-to-Kindle's 50 MB e-mail limit; "
            "send it with the Send to Kindle app or web page instead"
        )
    if encoded_size(len(data)) > settings.size_limit * MB:
        return (
            f"is {_mb(len(data))} ({_mb(encoded_size(len(data)))} as an e-mail), over the "
            f"{settings.size_limit:g} MB your provider takes (size_limit)"
        )
    return None


def group_files(files: list[tuple[Path, bytes]], to: Recipient, settings: Settings) -> list[list[tuple[Path, bytes]]]:
    """Files in order, a new e-mail whenever the next would pass a limit."""
    groups: list[list[tuple[Path, bytes]]] = []
    for path, data in files:
        current = groups[-1] if groups else None
        if current is None or not _fits(current, len(data), to, settings):
            groups.append([(path, data)])
        else:
            current.append((path, data))
    return groups


def _fits(group: list[tuple[Path, bytes]], more: int, to: Recipient, settings: Settings) -> bool:
    raw = sum(len(data) for _, data in group) + more
    if to.kindle and (len(group) + 1 > KINDLE_MAX_FILES or raw > KINDLE_MAX_BYTES):
        return False
    return encoded_size(raw) <= settings.size_limit * MB


def encoded_size(raw: int) -> int:
    """What `raw` bytes of attachments weigh in an e-mail: base64 (4 for 3), 76-character lines
    with CRLF, and room for the headers and the short text. Providers count this size."""
    encoded = -(-raw // 3) * 4
    return encoded + encoded // 76 * 2 + 16 * 1024


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


# --- the messages ---------------------------------------------------------------------------------


def message(batch: Batch, sender: str) -> bytes:
    """The whole e-mail, built before any connection: all of it goes, or none."""
    msg = EmailMessage(policy=SMTP)
    names = [path.name for path, _ in batch.files]
    part = f" (e-mail {batch.number} of {batch.of})" if batch.of > 1 else ""
    msg["Subject"] = (names[0] if len(names) == 1 else f"{len(names)} books") + part
    msg["From"] = sender
    msg["To"] = email.utils.formataddr((batch.to.name or "", batch.to.address))
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    greeting = f"{batch.to.name}, here" if batch.to.name else "Here"
    verb = "is your book" if len(names) == 1 else "are your books"
    listed = "".join(f"\n  {name}" for name in names)
    msg.set_content(f"{greeting} {verb}, made with ebookify:\n{listed}\n")
    for path, data in batch.files:
        msg.add_attachment(data, maintype="application", subtype="epub+zip", filename=path.name)
    return msg.as_bytes()


def kindle_hint(to: Recipient, sender: str) -> str:
    return (
        f"{to.address} is a Send-to-Kindle address: Amazon takes mail only from senders on the "
        f"Approved Personal Document E-mail List; add {sender} there once (Amazon: Manage Your Content "
        "and Devices > Preferences > Personal Document Settings)"
    )
