"""Checksummed record framing, the engines' entry schema, and key/value encodings.

Frame layout (12-byte header, then the payload)::

    length:u32  crc32(length):u32  crc32(payload):u32  payload

The header has its own checksum, so a flipped bit in a length is detected rather than
taken for a shorter or longer record.  ``scan`` walks a file of frames and classifies the
first bad frame:

* **torn tail** -- the header is incomplete (or zero-filled), the frame runs past the end of
  the file, or it is the file's last frame and its payload is all zeros: what a crash
  during the last (unsynced) append leaves.  Recovery truncates it; it was never
  acknowledged as durable.
* **corruption** -- any other checksum failure (a flipped bit in durable data).  The
  engines raise ``CorruptionError``: corrupt bytes are never served as data.

Every on-disk record of every engine is an ``ENTRY`` encoded with ``systems.storage``'s
schema encoding (``_encoding``).  User keys become bytes that sort like the keys (``key_bytes``)
and user values a ``VALUE`` record, so engines compare and store plain bytes.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from systems.storage._encoding import Field, decode, encode, schema
from systems.storage._errors import CorruptionError

HEADER = struct.Struct(">III")

ENTRY = schema(
    "Entry",
    Field(1, "key", "bytes", required=True),
    Field(2, "value", "bytes"),
    Field(3, "tombstone", "bool", default=False),
)

VALUE = schema(
    "Value",
    Field(1, "int", "sint"),
    Field(2, "text", "string"),
    Field(3, "json", "string"),
)


def frame(payload: bytes) -> bytes:
    n = len(payload)
    return HEADER.pack(n, zlib.crc32(n.to_bytes(4, "big")), zlib.crc32(payload)) + payload


def unframe(data: bytes, offset: int = 0) -> tuple[bytes, int]:
    """The payload of the frame at ``offset`` and the offset after it; checks both CRCs."""
    if offset + HEADER.size > len(data):
        raise CorruptionError(f"truncated frame header at {offset}")
    n, hcrc, pcrc = HEADER.unpack_from(data, offset)
    if zlib.crc32(n.to_bytes(4, "big")) != hcrc:
        raise CorruptionError(f"frame header checksum mismatch at {offset}")
    start = offset + HEADER.size
    payload = bytes(data[start : start + n])
    if len(payload) != n or zlib.crc32(payload) != pcrc:
        raise CorruptionError(f"frame payload checksum mismatch at {offset}")
    return payload, start + n


class Scan:
    """The valid frames of a file, and where (and why) the valid prefix ends."""

    def __init__(self, data: bytes) -> None:
        self.frames: list[tuple[int, bytes]] = []
        self.end = 0
        self.torn = False
        self.corrupt: str | None = None
        self._scan(data)

    def _scan(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            try:
                payload, nxt = unframe(data, pos)
            except CorruptionError as e:
                self.torn = _looks_torn(data, pos)
                self.corrupt = None if self.torn else str(e)
                break
            self.frames.append((pos, payload))
            pos = nxt
        self.end = pos


def _looks_torn(data: bytes, pos: int) -> bool:
    if pos + HEADER.size > len(data):
        return True
    n, hcrc, _ = HEADER.unpack_from(data, pos)
    if zlib.crc32(n.to_bytes(4, "big")) != hcrc:
        return all(b == 0 for b in data[pos:])  # a zero-filled tail, not a flipped bit
    end = pos + HEADER.size + n
    if end > len(data):
        return True  # the frame runs past the end: its append was cut short
    return end == len(data) and not any(data[pos + HEADER.size :])  # allocated, unwritten


def scan_file(disk: Any, name: str, repair: bool) -> list[tuple[int, bytes]]:
    """Frames of ``name``; a torn tail is truncated (if ``repair``), corruption raises."""
    s = Scan(disk.read(name))
    if s.corrupt is not None:
        raise CorruptionError(f"{name}: {s.corrupt}")
    if s.torn and repair:
        disk.truncate(name, s.end)
        disk.fsync(name)
    return s.frames


def entry_bytes(key: bytes, value: bytes | None) -> bytes:
    if value is None:
        return encode(ENTRY, {"key": key, "tombstone": True})
    return encode(ENTRY, {"key": key, "value": value})


def parse_entry(payload: bytes) -> tuple[bytes, bytes | None]:
    rec = decode(ENTRY, payload)
    return rec["key"], None if rec["tombstone"] else (rec["value"] or b"")


def entry_key(payload: bytes) -> bytes:
    """An encoded entry's key without decoding the rest (the key is field 1, written first)."""
    if len(payload) > 2 and payload[0] == 0x0A and payload[1] < 0x80:
        return payload[2 : 2 + payload[1]]
    return parse_entry(payload)[0]


def iter_entries(frames: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes, bytes | None]]:
    for off, payload in frames:
        k, v = parse_entry(payload)
        yield off, k, v


# --- user keys and values ---------------------------------------------------------------


def key_bytes(key: Any) -> bytes:
    """Bytes that sort as the keys do: integers (by value) before strings before the rest."""
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        return b"\x03" + json.dumps(key, sort_keys=True).encode()
    if isinstance(key, int):
        if not -(2**63) <= key < 2**63:
            return b"\x03" + json.dumps(key).encode()
        return b"\x01" + (key + 2**63).to_bytes(8, "big")
    return b"\x02" + key.encode()


def key_from_bytes(b: bytes) -> Any:
    tag, rest = b[0], b[1:]
    if tag == 1:
        return int.from_bytes(rest, "big") - 2**63
    if tag == 2:
        return rest.decode()
    k = json.loads(rest)
    return tuple(k) if isinstance(k, list) else k


def value_bytes(value: Any) -> bytes:
    if isinstance(value, int) and not isinstance(value, bool):
        return encode(VALUE, {"int": value})
    if isinstance(value, str):
        return encode(VALUE, {"text": value})
    return encode(VALUE, {"json": json.dumps(value)})


def value_from_bytes(b: bytes) -> Any:
    rec = decode(VALUE, b)
    if rec["int"] is not None:
        return rec["int"]
    if rec["text"] is not None:
        return rec["text"]
    return json.loads(rec["json"]) if rec["json"] is not None else None
