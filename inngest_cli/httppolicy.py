"""The one HTTP policy of inngest-cli, shared by the Event API client (`eventapi`), the REST
client (`restclient`) and every command built on them:

- what is retried: HTTP 429 and 5xx, and network errors, except those that will fail the same
  way again (a TLS certificate rejected, an unsupported URL or proxy). A request that is not
  idempotent (creating a bulk cancellation) is retried only when it cannot have reached the
  server: a failed connect, or a 429;
- how long to wait: exponential backoff with jitter, ``base * 2**(retry-1)`` capped at
  MAX_BACKOFF, plus up to ``base`` at random; a server's ``Retry-After`` (delta-seconds or an
  HTTP-date) wins on any retried status (429, 502, 503, ...), capped at MAX_RETRY_AFTER, and a
  longer demand is said once on stderr rather than waited out silently;
- redirects are never followed (a key must not travel to another host): the error says where
  the redirect pointed;
- proxies come from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`); an
  unreachable proxy is named in the error, and an unsupported one (SOCKS without socksio) is a
  configuration error, not a crash;
- one User-Agent, and one `--verbose` trace format (keys masked).

Nothing here imports httpx at module import: `send` runs on our own HTTP/1.1 (`http11`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from inngest_cli import __version__
from inngest_cli.errors import UsageError, one_line
from inngest_cli.redact import Secrets, mask

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"inngest-cli/{__version__}"
DEFAULT_RETRIES = 5
DEFAULT_BACKOFF = 0.1
MAX_BACKOFF = 10.0
MAX_RETRY_AFTER = 60.0
_NOT_RETRIED = ("CERTIFICATE_VERIFY_FAILED", "UnsupportedProtocol", "LocalProtocolError",
                "InvalidURL", "WRONG_VERSION_NUMBER")
_NOT_SENT = ("ConnectError", "ConnectTimeout")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

Notice = Callable[[str], None]
Trace = Callable[[str], None]


# -- what is retried ----------------------------------------------------------------------


def retryable_status(status: int) -> bool:
    """429 and 5xx, except 501: a server that does not implement the method (a plain web server
    that takes no POST) will not on a retry either."""
    return status == 429 or (status >= 500 and status != 501)


def retryable_error(reason: str, *, idempotent: bool = True) -> bool:
    """Whether a request that got no reply (``reason``: `ConnectError: ...`) is worth another
    try. A request that must not be applied twice is retried only if it was never sent."""
    if any(marker in reason for marker in _NOT_RETRIED):
        return False
    return idempotent or reason.startswith(_NOT_SENT)


def should_retry(status: int, *, idempotent: bool = True) -> bool:
    return retryable_status(status) and (idempotent or status == 429)


# -- how long to wait ---------------------------------------------------------------------


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait for a `Retry-After` header in either form (`120`, or an HTTP-date such as
    `Wed, 21 Oct 2026 07:28:00 GMT`); None when absent or unreadable. Not capped."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    import email.utils  # an HTTP-date is rare, and the email package costs every start ~4 ms

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff(retry: int, base: float = DEFAULT_BACKOFF) -> float:
    """The wait before retry number ``retry`` (1-based) when the server did not say."""
    import random  # only a retry needs it

    return float(min(base * 2.0 ** (retry - 1), MAX_BACKOFF) + random.uniform(0, base))


def retry_delay(retry: int, retry_after: float | None, base: float = DEFAULT_BACKOFF) -> float:
    """The wait before retry ``retry``: the server's Retry-After (capped) if it gave one."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    return backoff(retry, base)


class RetryAfterCap:
    """Caps a server's Retry-After at MAX_RETRY_AFTER, and says so (once) when it asked for more:
    `Retry-After: 1e9` must not look like a hang."""

    def __init__(
        self, secrets: Secrets, notice: Notice | None = None, cap: float = MAX_RETRY_AFTER
    ) -> None:
        self.secrets = secrets
        self.notice = notice
        self.cap = cap
        self._said = False

    def __call__(self, headers: Mapping[str, str], status: int) -> float | None:
        raw = headers.get("retry-after")
        asked = parse_retry_after(raw)
        if asked is None or not retryable_status(status):
            return None
        if asked > self.cap:
            if self.notice is not None and not self._said:
                self._said = True
                shown = one_line(self.secrets.redact(str(raw)))[:40]
                self.notice(
                    f"the server asked to wait {_seconds(asked)} before retrying "
                    f"(HTTP {status}, Retry-After: {shown}); waiting {self.cap:g} s instead"
                )
            return self.cap
        return asked


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 10 else f"{value:.1f} s"


# -- replies the clients judge alike ------------------------------------------------------


def snippet(content: bytes, secrets: Secrets, limit: int = 160) -> str:
    """The start of a reply body, on one line, masked before it is cut (a key across the cut
    would otherwise escape the masking)."""
    return secrets.snippet(content, limit)


def redirect_problem(status: int, headers: Mapping[str, str], secrets: Secrets) -> str | None:
    """For a redirect: `HTTP 307 redirect to <where> (not followed)`; None otherwise."""
    if status not in REDIRECT_STATUSES and not (300 <= status < 400 and "location" in headers):
        return None
    where = headers.get("location")
    if not where:
        return f"HTTP {status} redirect without a Location header"
    return f"HTTP {status} redirect to {one_line(secrets.redact(where))[:200]} (not followed)"


# -- proxies ------------------------------------------------------------------------------


class Proxy(NamedTuple):  # not a dataclass: those compile methods at import
    variable: str  # the environment variable it came from, as the user spelled it
    url: str

    def shown(self) -> str:
        """The proxy URL with any password masked."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:****@{netloc}"))


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy the environment configures for ``url`` (lower-case names first, as curl and
    httpx read them), or None when there is none or `NO_PROXY` exempts the host."""
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    no_proxy = _env(env, "no_proxy")
    if no_proxy and _bypassed(host, no_proxy[1]):
        return None
    for name in (f"{parts.scheme}_proxy", "all_proxy"):
        found = _env(env, name)
        if found:
            return Proxy(*found)
    return None


def _env(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    for variable in (name, name.upper()):
        value = env.get(variable)
        if value:
            return variable, value
    return None


def _bypassed(host: str, no_proxy: str) -> bool:
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.split("://", 1)[-1].lstrip(".")
        if entry.startswith("*."):
            entry = entry[2:]
        if host == entry or host.endswith("." + entry):
            return True
    return False


def transport_failure(name: str, detail: str, url: str) -> str:
    """`ConnectError: <detail>`, naming the proxy when the connection that failed was to one."""
    reason = f"{name}: {detail}" if detail else name
    proxy = proxy_for(url)
    if proxy is not None and name in _NOT_SENT:
        return f"cannot reach the proxy {proxy.shown()} (from {proxy.variable}): {reason}"
    return reason


def unreachable_hint(reason: str) -> str | None:
    """The hint for a failure that `transport_failure` blamed on a proxy, else None."""
    if reason.startswith("cannot reach the proxy "):
        return "is the proxy up? check HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, or NO_PROXY"
    return None


def httpx_client(origin: str, *, verify: bool, **options: Any) -> httpx.Client:
    """An httpx client as both clients use it: no redirects followed, proxies from the
    environment, and a TLS context (CA bundle loaded) only when ``origin`` is https.

    Raises UsageError for a proxy httpx cannot use (SOCKS without socksio, an unknown scheme)."""
    import httpx

    from inngest_cli.transport import tls_for

    try:
        return httpx.Client(
            verify=tls_for(origin, verify), follow_redirects=False, trust_env=True, **options
        )
    except (ImportError, ValueError) as error:
        raise _proxy_problem(origin, error) from None


def utf8_headers(headers: Mapping[str, str]) -> dict[bytes, bytes]:
    """Header fields as httpx should get them: bytes, since httpx encodes a str value as ASCII
    and refuses a branch environment named after a git branch ("feature/café"). UTF-8, as the
    Event API path (`http11`) sends them."""
    return {name.encode(): value.encode() for name, value in headers.items()}


def _proxy_problem(origin: str, error: Exception) -> UsageError:
    proxy = proxy_for(origin)
    if proxy is None:  # pragma: no cover - only a proxy setting makes httpx refuse here
        # no secrets at hand: the looks-like-a-key masking here, the run's keys where it is shown
        text = Secrets().redact(f"cannot create an HTTP client: {error}")
        return UsageError(one_line(text))
    where = f"{proxy.variable}={proxy.shown()}"
    if urlsplit(proxy.url).scheme.lower().startswith("socks"):
        return UsageError(
            f"{where}: SOCKS proxies need the socksio package, which is not installed",
            hint="pip install socksio, or use an http:// or https:// proxy",
        )
    return UsageError(
        f"{where}: not a proxy URL inngest-cli can use",
        hint="proxies are http://HOST:PORT, https://HOST:PORT, or socks5://HOST:PORT with socksio",
    )


# -- the --verbose trace ------------------------------------------------------------------


class Tracer:
    """`> METHOD url` and its headers, then `< HTTP status` and its headers, on one sink; keys
    masked (the Authorization token, `/e/{key}` paths, every one of ``secrets``)."""

    def __init__(self, sink: Trace | None, secrets: Secrets) -> None:
        self.sink = sink
        self.secrets = secrets

    def __bool__(self) -> bool:
        return self.sink is not None

    def request(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], note: str = ""
    ) -> float:
        """Trace a request; returns its start time, for `response` and `failure`."""
        started = time.perf_counter()
        if self.sink is None:
            return started
        redact = self.secrets.redact
        self.sink(f"> {method} {redact(url)}" + (f" ({note})" if note else ""))
        for name, value in headers:
            if name.lower() == "authorization":
                value = "Bearer " + mask(value[7:])
            self.sink(f">   {name.lower()}: {one_line(redact(value))}")
        return started

    def response(
        self,
        started: float,
        status: int,
        reason: str,
        size: int,
        headers: Iterable[tuple[str, str]],
    ) -> None:
        if self.sink is None:
            return
        redact = self.secrets.redact
        self.sink(f"< HTTP {status} {redact(reason)} ({_ms(started):.0f} ms, {size} bytes)")
        for name, value in headers:  # names are the server's words too
            self.sink(one_line(redact(f"<   {name.lower()}: {value}")))

    def failure(self, started: float, reason: str) -> None:
        if self.sink is not None:
            self.sink(f"< {reason} after {_ms(started):.0f} ms")

    def retry(self, retry: int, retries: int, delay: float) -> None:
        if self.sink is not None:
            self.sink(f"  retry {retry} of {retries} in {delay:.2f} s")


def _ms(started: float) -> float:
    return 1000 * (time.perf_counter() - started)
