"""Event ID seeds and ULIDs, shared by the client (which sends seeds) and `serve` (which
honours them).

Inngest derives an event's internal ULID from the request's ``x-inngest-event-id-seed`` header
(``"<unix-ms>,<base64 of 10 bytes>"``): the timestamp is the seed's, the entropy is the seed's
10 bytes with the last four (a big-endian uint32) plus the event's 1-based position in the request,
wrapping at 2**32.  The same seed on a retried request therefore yields the same IDs.
"""

from __future__ import annotations

import binascii  # not base64, whose import (~0.4 ms) every start-up would pay
import os
import time

import msgspec

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(CROCKFORD)}
SEED_HEADER = "x-inngest-event-id-seed"
ENTROPY_BYTES = 10


def encode_ulid(ms: int, entropy: bytes) -> str:
    """Encode a 48-bit millisecond timestamp and 80 bits of entropy as a 26-char ULID."""
    value = ((ms & 0xFFFF_FFFF_FFFF) << 80) | int.from_bytes(entropy, "big")
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(text: str) -> bool:
    """True for a well-formed ULID: 26 Crockford characters whose first is 0-7 (fits 128 bits)."""
    return len(text) == 26 and text[0] in "01234567" and all(c in _DECODE for c in text.upper())


def ulid_time_ms(text: str) -> int:
    """The millisecond timestamp a ULID carries."""
    value = 0
    for c in text[:10].upper():
        value = value * 32 + _DECODE[c]
    return value


def new_ulid(ms: int | None = None) -> str:
    return encode_ulid(int(time.time() * 1000) if ms is None else ms, os.urandom(ENTROPY_BYTES))


class IdSeed(msgspec.Struct, frozen=True):
    """One request's ID seed; resending a request with the same seed reproduces its IDs."""

    ms: int
    entropy: bytes

    @classmethod
    def generate(cls) -> IdSeed:
        return cls(int(time.time() * 1000), os.urandom(ENTROPY_BYTES))

    @classmethod
    def parse(cls, header: str | None) -> IdSeed | None:
        """Parse a header value; None for anything malformed (the server then ignores it)."""
        if not header:
            return None
        ms_text, sep, b64 = header.partition(",")
        ms_text = ms_text.strip()
        if not sep or not (ms_text.isascii() and ms_text.isdigit()) or len(ms_text) > 15:
            return None
        try:
            entropy = binascii.a2b_base64(b64.strip(), strict_mode=True)
        except (binascii.Error, ValueError):
            return None
        if len(entropy) != ENTROPY_BYTES:
            return None
        ms = int(ms_text)
        if ms <= 0 or ms >= 1 << 48:
            return None
        return cls(ms, entropy)

    def derive(self, key: bytes) -> IdSeed:
        """A seed for one request of a run: same base and key, same seed (and so same IDs)."""
        import hashlib  # only a checkpointed run derives seeds; the import costs start-up

        return IdSeed(self.ms, hashlib.sha256(self.entropy + key).digest()[:ENTROPY_BYTES])

    def header(self) -> str:
        return f"{self.ms},{binascii.b2a_base64(self.entropy, newline=False).decode()}"

    def event_id(self, position: int) -> str:
        """The ULID of the event at 1-based ``position`` in a request sent with this seed."""
        counter = (int.from_bytes(self.entropy[6:], "big") + position) & 0xFFFF_FFFF
        return encode_ulid(self.ms, self.entropy[:6] + counter.to_bytes(4, "big"))
