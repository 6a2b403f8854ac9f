"""Record encoding with a schema: a compact tagged binary form (as Protocol Buffers) and JSON.

Theory of operation
-------------------
A ``Schema`` is a list of ``Field(tag, name, type)``.  Types: ``uint`` (varint), ``sint``
(zigzag varint), ``bool`` (varint), ``float`` (8 bytes), ``bytes``, ``string`` (length
delimited); ``repeated=True`` makes a list.  The binary form writes, for each present field
in tag order, a key varint ``tag << 3 | wire_type`` and the value.  Names never reach the
wire: a field renamed in a later schema keeps its tag and still reads.

Evolution rules, which ``compatibility(writer, reader)`` checks and the tests exercise:

* a reader skips tags it does not know (by wire type), so old readers read new data
  (forward compatibility) and removed fields are ignored;
* a field absent from the data takes its ``default`` (``None`` unless given), so new readers
  read old data (backward compatibility) -- unless the reader marks it ``required``;
* a tag must keep its wire type (``uint``/``sint``/``bool`` are all varints, but ``sint``
  is zigzag: changing between them changes values, so it is reported) and its
  repeatedness; a tag must never be reused for a different field.

The JSON form (``to_json`` / ``from_json``) keys fields by *name* (as Avro's JSON does):
unknown names are ignored, missing ones defaulted, and a renamed field is found through its
``aliases``.  Bytes are hex strings in JSON.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from systems.storage._errors import CorruptionError

VARINT, FIXED64, LENGTH = 0, 1, 2
WIRE = {"uint": VARINT, "sint": VARINT, "bool": VARINT, "float": FIXED64}
WIRE.update({"bytes": LENGTH, "string": LENGTH})


@dataclass(frozen=True)
class Field:
    tag: int
    name: str
    type: str
    repeated: bool = False
    required: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in WIRE:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if not 0 < self.tag < 2**29:
            raise ValueError(f"field {self.name}: tag {self.tag} out of range")


@dataclass(frozen=True)
class Schema:
    name: str
    fields: tuple[Field, ...]
    by_tag: dict[int, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tags = {f.tag: f for f in self.fields}
        if len(tags) != len(self.fields):
            raise ValueError(f"schema {self.name}: duplicate tags")
        object.__setattr__(self, "by_tag", tags)


def schema(name: str, *fields: Field) -> Schema:
    return Schema(name, tuple(sorted(fields, key=lambda f: f.tag)))


# --- varints ----------------------------------------------------------------------------


def put_varint(out: bytearray, n: int) -> None:
    if n < 0:
        raise ValueError("varint must be non-negative")
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def get_varint(data: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if pos >= len(data) or shift > 70:
            raise CorruptionError("truncated varint")
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


def zigzag(n: int) -> int:
    return n * 2 if n >= 0 else -n * 2 - 1


def unzigzag(n: int) -> int:
    return n >> 1 if not n & 1 else -((n + 1) >> 1)


# --- binary -----------------------------------------------------------------------------


def encode(s: Schema, record: Mapping[str, Any]) -> bytes:
    out = bytearray()
    for f in s.fields:
        v = record.get(f.name)
        if v is None:
            if f.required:
                raise ValueError(f"{s.name}.{f.name} is required")
            continue
        key = _key_bytes(f)
        if f.type == "bytes":  # the hot path: pages and entries are mostly bytes
            for raw in v if f.repeated else (v,):
                out += key
                n = len(raw)
                if n < 0x80:
                    out.append(n)
                else:
                    put_varint(out, n)
                out += raw
            continue
        for item in v if f.repeated else (v,):
            out += key
            _put_value(out, f.type, item)
    return bytes(out)


_KEYS: dict[tuple[int, str], bytes] = {}


def _key_bytes(f: Field) -> bytes:
    key = _KEYS.get((f.tag, f.type))
    if key is None:
        buf = bytearray()
        put_varint(buf, f.tag << 3 | WIRE[f.type])
        key = _KEYS[(f.tag, f.type)] = bytes(buf)
    return key


def _put_value(out: bytearray, t: str, v: Any) -> None:
    if t == "uint":
        put_varint(out, int(v))
    elif t == "sint":
        put_varint(out, zigzag(int(v)))
    elif t == "bool":
        put_varint(out, 1 if v else 0)
    elif t == "float":
        out += struct.pack("<d", float(v))
    else:
        raw = v.encode() if t == "string" else bytes(v)
        put_varint(out, len(raw))
        out += raw


def decode(s: Schema, data: bytes) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    pos = 0
    while pos < len(data):
        key, pos = get_varint(data, pos)
        tag, wire = key >> 3, key & 7
        raw, pos = _get_raw(data, pos, wire)
        f = s.by_tag.get(tag)
        if f is None:
            continue  # an unknown (newer or removed) field: skipped
        if WIRE[f.type] != wire:
            raise CorruptionError(f"{s.name}.{f.name}: wire type {wire}, expected {f.type}")
        v = _value(f.type, raw)
        if f.repeated:
            rec.setdefault(f.name, []).append(v)
        else:
            rec[f.name] = v
    return _defaults(s, rec)


def _get_raw(data: bytes, pos: int, wire: int) -> tuple[Any, int]:
    if wire == VARINT:
        return get_varint(data, pos)
    if wire == FIXED64:
        if pos + 8 > len(data):
            raise CorruptionError("truncated fixed64")
        return data[pos : pos + 8], pos + 8
    if wire == LENGTH:
        n, pos = get_varint(data, pos)
        if pos + n > len(data):
            raise CorruptionError("truncated length-delimited field")
        return data[pos : pos + n], pos + n
    raise CorruptionError(f"unknown wire type {wire}")


def _value(t: str, raw: Any) -> Any:
    if t == "uint":
        return raw
    if t == "sint":
        return unzigzag(raw)
    if t == "bool":
        return bool(raw)
    if t == "float":
        return struct.unpack("<d", raw)[0]
    if t == "string":
        try:
            return bytes(raw).decode()
        except UnicodeDecodeError as e:
            raise CorruptionError(f"invalid utf-8: {e}") from None
    return bytes(raw)


def _defaults(s: Schema, rec: dict[str, Any]) -> dict[str, Any]:
    for f in s.fields:
        if f.name not in rec:
            if f.required:
                raise CorruptionError(f"{s.name}.{f.name} is required but absent")
            rec[f.name] = [] if f.repeated and f.default is None else f.default
    return rec


# --- JSON -------------------------------------------------------------------------------


def to_json(s: Schema, record: Mapping[str, Any]) -> str:
    out: dict[str, Any] = {}
    for f in s.fields:
        v = record.get(f.name)
        if v is None:
            if f.required:
                raise ValueError(f"{s.name}.{f.name} is required")
            continue
        out[f.name] = [_json_value(f.type, x) for x in v] if f.repeated else _json_value(f.type, v)
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def _json_value(t: str, v: Any) -> Any:
    return bytes(v).hex() if t == "bytes" else v


def from_json(s: Schema, text: str | bytes) -> dict[str, Any]:
    doc = json.loads(text)
    rec: dict[str, Any] = {}
    for f in s.fields:
        for name in (f.name, *f.aliases):
            if name in doc:
                v = doc[name]
                rec[f.name] = (
                    [_from_json(f.type, x) for x in v] if f.repeated else (_from_json(f.type, v))
                )
                break
    return _defaults(s, rec)


def _from_json(t: str, v: Any) -> Any:
    if t == "bytes":
        return bytes.fromhex(v)
    if t in ("uint", "sint"):
        return int(v)
    if t == "bool":
        return bool(v)
    if t == "float":
        return float(v)
    return str(v)


# --- evolution --------------------------------------------------------------------------


def compatibility(writer: Schema, reader: Schema) -> list[str]:
    """Problems that stop ``reader`` from reading data written with ``writer`` (binary)."""
    problems = []
    for rf in reader.fields:
        wf = writer.by_tag.get(rf.tag)
        if wf is None:
            if rf.required:
                problems.append(f"{rf.name} (tag {rf.tag}) is required but the writer lacks it")
            continue
        if WIRE[wf.type] != WIRE[rf.type]:
            problems.append(f"tag {rf.tag}: wire type of {wf.type} != {rf.type}")
        elif {wf.type, rf.type} & {"sint"} and wf.type != rf.type:
            problems.append(f"tag {rf.tag}: {wf.type} and {rf.type} encode integers differently")
        if wf.repeated != rf.repeated:
            problems.append(f"tag {rf.tag}: repeated {wf.repeated} != {rf.repeated}")
    return problems


def json_compatibility(writer: Schema, reader: Schema) -> list[str]:
    """Problems for the JSON form, where fields are matched by name or alias."""
    names = {f.name: f for f in writer.fields}
    problems = []
    for rf in reader.fields:
        wf = next((names[n] for n in (rf.name, *rf.aliases) if n in names), None)
        if wf is None:
            if rf.required:
                problems.append(f"{rf.name} is required but the writer lacks it")
        elif wf.type != rf.type or wf.repeated != rf.repeated:
            problems.append(f"{rf.name}: {wf.type} != {rf.type}")
    return problems


# --- unknown fields kept (tagged) -------------------------------------------------------


def decode_keeping_unknown(s: Schema, data: bytes) -> tuple[dict[str, Any], bytes]:
    """``decode``, plus the raw bytes of every field ``s`` does not know, in order.

    Protocol Buffers keeps such fields in the decoded message and writes them back, so old
    code that reads, changes and rewrites a record written by new code loses nothing.
    """
    unknown = bytearray()
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = get_varint(data, pos)
        _, pos = _get_raw(data, pos, key & 7)
        if key >> 3 not in s.by_tag:
            unknown += data[start:pos]
    return decode(s, data), bytes(unknown)


def encode_keeping_unknown(s: Schema, record: Mapping[str, Any], unknown: bytes) -> bytes:
    """``encode`` followed by the unknown fields as read (tags stay unique: ``s`` lacks them)."""
    return encode(s, record) + unknown


# --- writer/reader resolution (Avro style) ----------------------------------------------
#
# The Avro binary form carries no tags and no names: the writer's fields, in the writer's
# schema order, each an optional value (a union with null: branch varint 0 = null, 1 =
# value; required fields have no branch) and repeated fields as one block (count, items,
# 0).  Reading needs the *writer's* schema (a container header or a schema registry gives
# its version); the reader's schema is then applied by *resolution*: fields are matched by
# name (or a reader alias), writer-only fields are skipped, reader-only fields take their
# default, and a reader-only field that is required fails.


def encode_avro(s: Schema, record: Mapping[str, Any]) -> bytes:
    out = bytearray()
    for f in s.fields:
        v = record.get(f.name)
        if not f.required:
            put_varint(out, 0 if v is None else 1)
            if v is None:
                continue
        elif v is None:
            raise ValueError(f"{s.name}.{f.name} is required")
        _put_avro(out, f, v)
    return bytes(out)


def _put_avro(out: bytearray, f: Field, v: Any) -> None:
    if not f.repeated:
        _put_value(out, f.type, v)
        return
    items = list(v)
    if items:
        put_varint(out, len(items))
        for item in items:
            _put_value(out, f.type, item)
    put_varint(out, 0)


def _read_avro(data: bytes, pos: int, f: Field) -> tuple[Any, int]:
    if not f.repeated:
        return _read_one(data, pos, f.type)
    items: list[Any] = []
    count, pos = get_varint(data, pos)
    while count:
        for _ in range(count):
            item, pos = _read_one(data, pos, f.type)
            items.append(item)
        count, pos = get_varint(data, pos)
    return items, pos


def _read_one(data: bytes, pos: int, t: str) -> tuple[Any, int]:
    raw, pos = _get_raw(data, pos, WIRE[t])
    return _value(t, raw), pos


def decode_avro(writer: Schema, reader: Schema, data: bytes) -> dict[str, Any]:
    """Data written with ``writer``, as a record of ``reader`` (see the rules above)."""
    written: dict[str, Any] = {}
    pos = 0
    for f in writer.fields:
        if not f.required:
            branch, pos = get_varint(data, pos)
            if branch == 0:
                continue
        written[f.name], pos = _read_avro(data, pos, f)
    if pos != len(data):
        raise CorruptionError(f"{writer.name}: {len(data) - pos} bytes after the last field")
    return resolve(writer, reader, written)


def resolve(writer: Schema, reader: Schema, written: Mapping[str, Any]) -> dict[str, Any]:
    """A record decoded with the writer's schema, seen through the reader's."""
    by_name = {f.name: f for f in writer.fields}
    rec: dict[str, Any] = {}
    for rf in reader.fields:
        name = next((n for n in (rf.name, *rf.aliases) if n in by_name), None)
        if name is None or name not in written:
            continue
        wf = by_name[name]
        if (wf.type, wf.repeated) != (rf.type, rf.repeated):
            raise CorruptionError(f"{rf.name}: written as {wf.type}, read as {rf.type}")
        rec[rf.name] = written[name]
    return _defaults(reader, rec)


def avro_compatibility(writer: Schema, reader: Schema) -> list[str]:
    """Problems that stop ``reader`` from resolving data written with ``writer``: the JSON
    rules (fields matched by name or alias), since resolution matches the same way."""
    return json_compatibility(writer, reader)
