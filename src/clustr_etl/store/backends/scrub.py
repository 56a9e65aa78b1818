"""The one error scrubber: every driver error line and every shown URL passes through here.

Each database URL parsed in this process (``parse_database_url``) has its password remembered, so a
driver message can be cleaned even where the URL is not at hand (the CLI's last-resort error branch).
The password is removed raw and in its URL-encoded forms.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"
_passwords: set[str] = set()


def remember_password(url: URL) -> None:
    """Scrub this URL's password from every later message of this process."""
    if url.password:
        _passwords.add(str(url.password))


def _forms(password: str) -> set[str]:
    return {password, quote(password, safe=""), quote(password), quote_plus(password)}


def scrub(text: str, url: URL | None = None) -> str:
    """``text`` with every known password (and ``url``'s) replaced by ``***``."""
    secrets = set(_passwords)
    if url is not None and url.password:
        secrets.add(str(url.password))
    forms = {form for secret in secrets for form in _forms(secret) if form}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def driver_error_line(err: BaseException, url: URL | None = None) -> str:
    """The first line of a (driver) error, without the password."""
    original = getattr(err, "orig", None) or err
    lines = str(original).strip().splitlines()
    return scrub(lines[0] if lines else type(err).__name__, url)


def mask_url(url: str | URL) -> str:
    """The URL as text with any password replaced by ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except (ArgumentError, ValueError):
            return "<invalid database URL>"
    return scrub(url.render_as_string(hide_password=True), url)
