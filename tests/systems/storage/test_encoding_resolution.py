"""Avro-style writer/reader resolution and kept unknown fields (systems/storage/_encoding)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systems.storage import CorruptionError
from systems.storage._encoding import (
    Field,
    avro_compatibility,
    decode,
    decode_avro,
    decode_keeping_unknown,
    encode,
    encode_avro,
    encode_keeping_unknown,
    schema,
)

OLD = schema("R", Field(1, "id", "uint"), Field(2, "name", "string"))
NEW = schema(
    "R",
    Field(1, "id", "uint"),
    Field(2, "name", "string"),
    Field(4, "email", "string"),
    Field(5, "tags", "string", repeated=True),
    Field(6, "delta", "sint"),
)
RENAMED = schema("R", Field(1, "id", "uint"), Field(2, "title", "string", aliases=("name",)))
STRICT = schema("R", Field(1, "id", "uint"), Field(7, "tier", "string", required=True))

texts = st.text(max_size=8)
new_records = st.fixed_dictionaries(
    {"id": st.integers(0, 2**40)},
    optional={"name": texts, "email": texts, "tags": st.lists(texts, max_size=3),
              "delta": st.integers(-(2**40), 2**40)},
)  # fmt: skip


def _full(record: dict[str, Any]) -> dict[str, Any]:
    return {"name": None, "email": None, "tags": [], "delta": None, **record}


@given(new_records)
def test_avro_round_trip_with_the_same_schema(record: dict[str, Any]) -> None:
    """Guards the untagged form: optional branches, blocks and zigzag all read back."""
    assert decode_avro(NEW, NEW, encode_avro(NEW, record)) == _full(record)


@given(new_records)
def test_old_reader_resolves_new_data_and_new_reader_old_data(record: dict[str, Any]) -> None:
    """Guards resolution: writer-only fields are skipped, reader-only fields defaulted,
    fields matched by name -- in both directions (forward and backward compatibility)."""
    old_view = decode_avro(NEW, OLD, encode_avro(NEW, record))
    assert old_view == {"id": record["id"], "name": record.get("name")}
    back = decode_avro(OLD, NEW, encode_avro(OLD, old_view))
    assert back == _full(old_view)


def test_resolution_follows_aliases_and_refuses_a_required_field_the_writer_lacks() -> None:
    """Guards aliases (a rename) and the incompatible change (required, no default), which
    the compatibility check reports before any data is read."""
    data = encode_avro(OLD, {"id": 1, "name": "x"})
    assert decode_avro(OLD, RENAMED, data) == {"id": 1, "title": "x"}
    assert avro_compatibility(OLD, RENAMED) == []
    assert avro_compatibility(OLD, STRICT) == ["tier is required but the writer lacks it"]
    with pytest.raises(CorruptionError, match="tier is required"):
        decode_avro(OLD, STRICT, data)


def test_resolution_refuses_a_changed_type_and_trailing_bytes() -> None:
    """Guards the type rule and framing: data cannot be read with a mismatched schema."""
    other = schema("R", Field(1, "id", "uint"), Field(2, "name", "uint"))
    with pytest.raises(CorruptionError, match="written as string"):
        decode_avro(OLD, other, encode_avro(OLD, {"id": 1, "name": "x"}))
    with pytest.raises(CorruptionError, match="bytes after"):
        decode_avro(OLD, OLD, encode_avro(OLD, {"id": 1}) + b"\x00")


@given(new_records, texts)
def test_old_code_that_keeps_unknown_fields_loses_nothing(
    record: dict[str, Any], name: str
) -> None:
    """Guards the Protocol Buffers rule: old code that decodes, changes a field it knows and
    re-encodes keeps the new fields; plain decode/encode drops them (the hazard)."""
    data = encode(NEW, record)
    old, unknown = decode_keeping_unknown(OLD, data)
    assert old == {"id": record["id"], "name": record.get("name")}
    kept = decode(NEW, encode_keeping_unknown(OLD, {**old, "name": name}, unknown))
    assert kept == _full({**record, "name": name})
    dropped = decode(NEW, encode(OLD, {**decode(OLD, data), "name": name}))
    assert dropped == _full({"id": record["id"], "name": name})
