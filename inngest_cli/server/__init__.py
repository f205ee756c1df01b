"""`inngest-cli serve`: a local Event API (`POST /e/{key}`) and REST v1 read API backed by SQLite.

Standard library and orjson only, so that importing it stays cheap and free of the CLI layer.
"""

from inngest_cli.server.app import (
    EventServer,
    ServerConfig,
    check_config,
    create_server,
    describe,
    is_loopback,
    local_url,
    serve_until_signalled,
)
from inngest_cli.server.store import EventQuery, Store, StoreError, default_db_path

__all__ = [
    "EventQuery",
    "EventServer",
    "ServerConfig",
    "Store",
    "StoreError",
    "check_config",
    "create_server",
    "default_db_path",
    "describe",
    "is_loopback",
    "local_url",
    "serve_until_signalled",
]
