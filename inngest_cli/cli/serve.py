"""`inngest-cli serve` (placeholder until the server lands)."""

from __future__ import annotations

HELP = "Run a local Inngest-compatible Event API and read API backed by SQLite."
EPILOG = "Example: inngest-cli serve --port 8288"


def serve() -> None:
    raise NotImplementedError
