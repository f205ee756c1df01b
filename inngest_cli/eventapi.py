"""The Event API client: one `POST /e/{key}` over kept-alive httpx connections."""

from __future__ import annotations

import time

import httpx

from inngest_cli import __version__
from inngest_cli.config import EventAPIConfig
from inngest_cli.ids import SEED_HEADER, IdSeed
from inngest_cli.redact import mask, redact
from inngest_cli.replies import Outcome, Reply, Trace, classify

USER_AGENT = f"inngest-cli/{__version__}"


class EventAPI:
    """Posts request bodies to `{origin}/e/{key}` over kept-alive connections (thread-safe)."""

    def __init__(
        self,
        config: EventAPIConfig,
        *,
        timeout: float = 30.0,
        connections: int = 4,
        trace: Trace | None = None,
        verify: bool = True,
    ) -> None:
        self.config = config
        self.trace = trace
        self._url = config.url()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if config.env:
            headers["x-inngest-env"] = config.env
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            verify=verify,
            follow_redirects=False,
        )

    @property
    def display_url(self) -> str:
        return f"{self.config.origin}/e/{mask(self.config.event_key)}"

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        headers = {SEED_HEADER: seed.header()}
        started = time.perf_counter()
        if self.trace:
            self._trace_request(body, headers, count)
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.TransportError as exc:
            reason = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            if self.trace:
                self.trace(f"< {reason} after {1000 * (time.perf_counter() - started):.0f} ms")
            return Reply(Outcome.RETRY, None, [], reason)
        if self.trace:
            elapsed = 1000 * (time.perf_counter() - started)
            self.trace(
                f"< HTTP {response.status_code} {response.reason_phrase} "
                f"({elapsed:.0f} ms, {len(response.content)} bytes)"
            )
            for name, value in response.headers.items():
                self.trace(f"<   {name}: {redact(value)}")
        return classify(response.status_code, response.content, response.headers)

    def _trace_request(self, body: bytes, extra: dict[str, str], count: int) -> None:
        assert self.trace is not None
        self.trace(f"> POST {self.display_url} ({count} events, {len(body)} bytes)")
        for name, value in {**dict(self._client.headers), **extra}.items():
            self.trace(f">   {name}: {redact(value)}")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> EventAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
