"""Reading a MongoDB connection string without connecting: the database it names, its
options, and a form safe to show (every credential masked).

pymongo's own parser is not used here: it resolves `mongodb+srv://` hosts through DNS
and raises on the first oddity, while these helpers must work on any text, including a
URI that pymongo refuses, so that even the error about it shows no secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

MASK = "****"
SCHEMES = ("mongodb://", "mongodb+srv://")
# Options holding a credential whatever their name says otherwise.
SECRET_OPTIONS = {"authmechanismproperties"}
_SECRET_WORDS = ("password", "secret", "token", "key")
_HOSTS = re.compile(r"[A-Za-z0-9.\-_:,\[\]%]+")


def is_secret_option(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_OPTIONS or any(word in lowered for word in _SECRET_WORDS)


@dataclass(frozen=True)
class UriParts:
    """`scheme://[userinfo@]hosts[/database][?options]`, split as written."""

    scheme: str
    userinfo: str | None
    hosts: str
    database: str
    options: list[tuple[str, str]]

    @property
    def password(self) -> str | None:
        if self.userinfo is None or ":" not in self.userinfo:
            return None
        return self.userinfo.split(":", 1)[1]

    def option(self, name: str) -> str | None:
        """The value of an option (names are case-insensitive, as in MongoDB)."""
        lowered = name.lower()
        found = [value for key, value in self.options if key.lower() == lowered]
        return found[-1] if found else None

    @property
    def opaque(self) -> bool:
        """User info and no host: nothing in it can be told apart, all of it is hidden."""
        return self.userinfo is not None and not self.hosts

    def masked(self) -> str:
        if self.opaque:
            return f"{self.scheme}{MASK}"
        userinfo = ""
        if self.userinfo is not None:
            user = self.userinfo.split(":", 1)[0]
            userinfo = f"{user}:{MASK}@" if ":" in self.userinfo else f"{user}@"
        text = f"{self.scheme}{userinfo}{self.hosts}"
        if self.database or self.options:
            text += f"/{self.database}"
        if self.options:
            shown = [
                f"{key}={MASK}" if is_secret_option(key) else f"{key}={value}"
                for key, value in self.options
            ]
            text += "?" + "&".join(shown)
        return text

    def secrets(self) -> list[str]:
        """Every credential as written (and decoded), to scrub them from any message."""
        found = [(self.userinfo if self.opaque else self.password) or ""]
        for key, value in self.options:
            if is_secret_option(key):
                # authMechanismProperties=AWS_SESSION_TOKEN:xyz,SERVICE_NAME:s: each value too
                found += [value, *(item.partition(":")[2] for item in value.split(","))]
        values = [v for v in found if v]
        return sorted({*values, *(unquote(v) for v in values)}, key=len, reverse=True)


def parse(uri: str) -> UriParts | None:
    """The parts of a `mongodb://` or `mongodb+srv://` URI; None for anything else."""
    scheme = next((s for s in SCHEMES if uri.lower().startswith(s)), None)
    if scheme is None:
        return None
    rest = uri[len(scheme) :]
    userinfo: str | None = None
    # The last `@` followed by something shaped like a host list ends the user info:
    # a password holding an unescaped `@`, `/` or `?` is still masked whole.
    at = len(rest)
    while (at := rest.rfind("@", 0, at)) >= 0:
        tail = re.split(r"[/?]", rest[at + 1 :], maxsplit=1)[0]
        if _HOSTS.fullmatch(tail):
            userinfo, rest = rest[:at], rest[at + 1 :]
            break
    else:
        query_at = rest.find("?")
        if "@" in rest[: query_at if query_at >= 0 else None]:
            # no host after any `@`: all of it is taken as a credential
            return UriParts(scheme, rest, "", "", [])
    found = re.search(r"[/?]", rest)
    hosts, sep, path = (
        (rest[: found.start()], found.group(), rest[found.end() :]) if found else (rest, "", "")
    )
    database, query = "", ""
    if sep == "/":
        database, _, query = path.partition("?")
    elif sep == "?":
        query = path
    options = [
        (key, value)
        for key, _, value in (item.partition("=") for item in re.split(r"[&;]", query))
        if key
    ]
    return UriParts(scheme, userinfo, hosts, unquote(database), options)


def mask_uri(uri: str) -> str:
    """The URI with its password and every secret option replaced by ****."""
    parts = parse(uri)
    if parts is not None:
        return parts.masked()
    if "://" in uri and "@" in uri:  # another scheme carrying credentials
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://{MASK}@{rest.rsplit('@', 1)[1]}"
    return uri


def scrub(text: str, uri: str) -> str:
    """`text` (an error message, say) with every credential of `uri` replaced by ****."""
    parts = parse(uri)
    if parts is None:
        return text
    for secret in parts.secrets():
        text = text.replace(secret, MASK)
    return text


def database_of(uri: str | None) -> str | None:
    """The database a `mongodb://host/NAME` URI names, if any."""
    parts = parse(uri or "")
    return parts.database or None if parts is not None else None
