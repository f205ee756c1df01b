"""The Event API client: one `POST /e/{key}` over kept-alive connections (`transport`: the
standard library's http.client, or httpx when a proxy is configured)."""

from __future__ import annotations

import time

from inngest_cli import __version__
from inngest_cli.config import EventAPIConfig
from inngest_cli.ids import SEED_HEADER, IdSeed
from inngest_cli.redact import mask, redact
from inngest_cli.replies import Outcome, Reply, Trace, classify
from inngest_cli.transport import Transport, TransportError, open_transport

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
        transport: Transport | None = None,
    ) -> None:
        self.config = config
        self.trace = trace
        self._url = config.url()
        self._headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if config.env:
            self._headers["x-inngest-env"] = config.env
        self._transport = transport or open_transport(
            timeout=timeout, connections=connections, verify=verify
        )

    @property
    def display_url(self) -> str:
        return f"{self.config.origin}/e/{mask(self.config.event_key)}"

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        headers = {**self._headers, SEED_HEADER: seed.header()}
        started = time.perf_counter()
        if self.trace:
            self._trace_request(body, headers, count)
        try:
            response = self._transport.post(self._url, body, headers)
        except TransportError as exc:
            reason = redact(str(exc))
            if self.trace:
                self.trace(f"< {reason} after {1000 * (time.perf_counter() - started):.0f} ms")
            return Reply(Outcome.RETRY, None, [], reason)
        if self.trace:
            elapsed = 1000 * (time.perf_counter() - started)
            self.trace(
                f"< HTTP {response.status} {redact(response.reason)} "
                f"({elapsed:.0f} ms, {len(response.content)} bytes)"
            )
            for name, value in response.headers:
                self.trace(redact(f"<   {name.lower()}: {value}"))  # names are the server's too
        return classify(response.status, response.content, response.header_map())

    def _trace_request(self, body: bytes, headers: dict[str, str], count: int) -> None:
        assert self.trace is not None
        events = f"{count} event{'' if count == 1 else 's'}"
        self.trace(f"> POST {self.display_url} ({events}, {len(body)} bytes)")
        for name, value in headers.items():
            self.trace(f">   {name.lower()}: {redact(value)}")

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> EventAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
