"""The host check a URL taken from params passes before a request, let alone a secret, goes to it.

The Python twin of flows/runtime/external-url.ts, against the same list: the flow definition's `allowedHosts`,
which the task definition passes as DATA_FLOWS_ALLOWED_HOSTS. It is stricter than the TypeScript side where the two
URL parsers could disagree (WHATWG's in Node, RFC 3986-ish ones in urllib, requests and psycopg): a backslash, a
control character, a non-ASCII or percent-encoded host, or a URL without `//` is refused rather than guessed at.
tests/unit/python-external-url.test.ts holds the two to the same answers, and Python never accepts what Node refuses.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from .errors import ConfigurationError

#: The environment (DATA_FLOWS_ENV) of the local control plane: the only one where loopback hosts are allowed.
LOCAL_ENVIRONMENT = "Local"

_LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")
_AUTHORITY = re.compile(r"^(?P<host>[a-z0-9.-]+|\[::1\])(?::(?P<port>[0-9]{0,5}))?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What a path may hold unescaped: RFC 3986's pchar and "/". Everything else is percent-encoded, so no parser can
# read a "?", "#" or "\" in it as the end of the path.
_PATH_SAFE = "/-._~!$&'()*+,;=:@%"


@dataclass(frozen=True)
class AllowedUrl:
    """A URL that passed check_external_url: hand this, not the raw param, to whatever sends the request."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port is not None else "")

    @property
    def href(self) -> str:
        return self.origin + (self.path or "/") + (f"?{self.query}" if self.query else "")

    def resolve(self, path: str) -> str:
        """The URL of `path` under this one: the path is appended, the scheme, host and port never change."""
        return f"{self.origin}{self.path.rstrip('/')}/{quote(path.lstrip('/'), safe=_PATH_SAFE)}"

    def __str__(self) -> str:
        return self.href


def is_allowed_host(hostname: str, allowed_hosts: tuple[str, ...]) -> bool:
    """Whether `hostname` is one of `allowed_hosts`, where `*.x.y` stands for exactly one more leading label."""
    for entry in allowed_hosts:
        if not entry.startswith("*."):
            if hostname == entry:
                return True
            continue
        suffix = entry[1:]
        label = hostname[: -len(suffix)] if hostname.endswith(suffix) else ""
        if label and "." not in label:
            return True
    return False


def check_external_url(
    raw: str, source: str, *, flow: str, allowed_hosts: tuple[str, ...], environment: str
) -> AllowedUrl:
    """Checks `raw` (named `source` in the error, e.g. `param warehouse_api`) against the flow's allowedHosts.

    Raises ConfigurationError (exit 78, never retried) naming the source and the hosts that are allowed.
    """
    local = environment == LOCAL_ENVIRONMENT

    def refuse(why: str) -> ConfigurationError:
        listed = (
            f'allowedHosts of flow "{flow}": {", ".join(allowed_hosts)} (HTTPS only)'
            if allowed_hosts
            else f'flow "{flow}" declares no allowedHosts'
        )
        if local:
            listed += f"; in {LOCAL_ENVIRONMENT} also 127.0.0.1, ::1 and localhost (HTTP or HTTPS)"
        return ConfigurationError(f"{source} {why}; {listed}")

    text = raw.strip()
    if not text.isascii() or "\\" in text or any(ord(char) < 0x21 or ord(char) == 0x7F for char in text):
        raise refuse(f"has characters URL parsers read differently (space, control, \\ or non-ASCII): {_quote(raw)}")
    parts = urlsplit(text)
    if not parts.scheme or not text[len(parts.scheme) :].startswith("://"):
        raise refuse(f"is not an absolute URL: {_quote(raw)}")
    if "@" in parts.netloc:
        raise refuse(f"must not carry credentials in the URL: {_quote(parts.netloc.rpartition('@')[2])}")
    authority = _AUTHORITY.match(parts.netloc.lower())
    if authority is None:
        raise refuse(f"has a host this helper does not read: {_quote(parts.netloc)}")
    host = authority["host"]
    port = int(authority["port"]) if authority["port"] else None
    if port is not None and port > 65535:
        raise refuse(f"is not an absolute URL: {_quote(raw)}")
    if port == _DEFAULT_PORTS.get(parts.scheme):
        port = None
    authority_text = host + (f":{port}" if port is not None else "")
    checked = AllowedUrl(parts.scheme, host, port, quote(parts.path, safe=_PATH_SAFE), parts.query)
    if host in _LOOPBACK_HOSTS:
        if not local:
            raise refuse(
                f"points at loopback host {host}, allowed only when DATA_FLOWS_ENV is {LOCAL_ENVIRONMENT}"
                f" (this is {environment})"
            )
        if parts.scheme not in _DEFAULT_PORTS:
            raise refuse(f"is not HTTP(S): {_quote(raw)}")
        return checked
    if not is_allowed_host(host, allowed_hosts):
        raise refuse(f'points at host {_quote(host)}, which flow "{flow}" may not send requests to')
    if parts.scheme != "https":
        raise refuse(f'must use HTTPS, got {_quote(f"{parts.scheme}://{authority_text}")}: secrets travel only over TLS')
    if port is not None:
        raise refuse(f"must use the default HTTPS port, got {_quote(authority_text)}")
    return checked


def _quote(value: str) -> str:
    """Quotes a value taken from params for an error line, cut short so a long one cannot flood the log."""
    return json.dumps(value if len(value) <= 200 else value[:200] + "…", ensure_ascii=False)
