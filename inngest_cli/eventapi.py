"""The Event API client: one `POST /e/{key}` over kept-alive connections (`transport`: our own
HTTP/1.1, `http11`, or httpx when a proxy is configured). What is retried and how
long to wait is `httppolicy`'s; the `Sender` does the retrying."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from inngest_cli.config import DEV_PLACEHOLDER_KEY, EventAPIConfig
from inngest_cli.httppolicy import (
    USER_AGENT,
    Notice,
    RetryAfterCap,
    Tracer,
    retryable_error,
)
from inngest_cli.ids import SEED_HEADER, IdSeed
from inngest_cli.redact import Secrets, mask
from inngest_cli.replies import Outcome, Reply, Trace, classify
from inngest_cli.transport import Transport, TransportError, open_transport

__all__ = ["USER_AGENT", "EventAPI", "default_window"]

REMOTE_WINDOW = 4  # requests in flight to a server across a network (README, "Batching")
LOCAL_WINDOW = 2  # ... and to one on this machine


def default_window(origin: str) -> int:
    """Requests in flight when `--concurrency` is not given.

    Across a network, requests in flight hide the round trip: at Cloud's 50-100 ms, four 512 KiB
    requests keep a 100 Mbit/s uplink busy. A server on this machine (a loopback address or
    `localhost`) has no round trip to hide: with two in flight, one is being worked on while the
    next is already there, so the server never waits for the client. More only queue in the
    server, where each is a 512 KiB body held in both processes and, in a threaded Python server
    (`serve`, bench/nullsink.py), one more thread contending for the lock its parsing holds:
    against the null sink, four in flight cost it 6-41% more CPU than two, and the run 5-14%
    more time; against `serve`, whose event posts go to one thread, they cost nothing and gain
    nothing (bench/bulk.py, README "Benchmarks"). One in flight leaves the server idle while the
    next request is read and sent.
    """
    return LOCAL_WINDOW if _is_loopback(urlsplit(origin).hostname or "") else REMOTE_WINDOW


def _is_loopback(host: str) -> bool:
    """A host that is this machine: a loopback address (or one IPv4-mapped), 0.0.0.0 and ::,
    which Linux connects to this machine, and `localhost` with its subdomains; no DNS lookup.
    (Not `server.is_loopback`: that one resolves names and, deciding where `serve` may listen,
    rightly counts 0.0.0.0 as every interface.)"""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


class EventAPI:
    """Posts request bodies to `{origin}/e/{key}` over kept-alive connections (thread-safe).
    ``notice`` gets the warnings of the HTTP policy (a Retry-After that was capped). What it
    reports is masked by ``secrets`` (the run's; else its own key alone), to which the event key
    is added."""

    def __init__(
        self,
        config: EventAPIConfig,
        *,
        timeout: float = 30.0,
        connections: int = 4,
        trace: Trace | None = None,
        verify: bool = True,
        transport: Transport | None = None,
        notice: Notice | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.config = config
        self.trace = trace
        self.secrets = Secrets() if secrets is None else secrets
        if config.event_key != DEV_PLACEHOLDER_KEY:
            self.secrets.add(config.event_key)
        self._tracer = Tracer(trace, self.secrets)
        self._retry_after = RetryAfterCap(self.secrets, notice)
        self._url = config.url()
        self._headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if config.env:
            self._headers["x-inngest-env"] = config.env
        self._transport = transport or open_transport(
            timeout=timeout, connections=connections, verify=verify, origin=config.origin
        )

    @property
    def display_url(self) -> str:
        return f"{self.config.origin}/e/{mask(self.config.event_key)}"

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        headers = {**self._headers, SEED_HEADER: seed.header()}
        events = f"{count} event{'' if count == 1 else 's'}"
        started = self._tracer.request(
            "POST", self.display_url, headers.items(), f"{events}, {len(body)} bytes"
        )
        try:
            response = self._transport.post(self._url, body, headers)
        except TransportError as exc:
            reason = self.secrets.redact(str(exc))
            self._tracer.failure(started, reason)
            if not retryable_error(reason):
                return Reply(Outcome.FATAL, None, [], reason, hint=_hint(reason))
            return Reply(Outcome.RETRY, None, [], reason)
        self._tracer.response(
            started, response.status, response.reason, len(response.content), response.headers
        )
        header_map = response.header_map()
        reply = classify(response.status, response.content, header_map, self.secrets)
        if reply.outcome is Outcome.RETRY:
            reply.retry_after = self._retry_after(header_map, response.status)
        return reply

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> EventAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hint(reason: str) -> str | None:
    if "CERTIFICATE_VERIFY_FAILED" in reason:
        return "the server's TLS certificate was not accepted (SSL_CERT_FILE names a CA bundle)"
    return None
