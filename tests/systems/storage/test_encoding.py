"""Schema'd binary and JSON records: round trips and the evolution rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systems.storage import CorruptionError
from systems.storage._encoding import (
    Field,
    compatibility,
    decode,
    encode,
    from_json,
    json_compatibility,
    schema,
    to_json,
)

V1 = schema(
    "Person",
    Field(1, "name", "string", required=True),
    Field(2, "age", "uint"),
    Field(3, "emails", "string", repeated=True),
    Field(4, "nickname", "string"),
)
# v2: renamed age -> years (same tag), removed nickname, added an optional signed field and
# a float with a default
V2 = schema(
    "Person",
    Field(1, "name", "string", required=True),
    Field(2, "years", "uint", aliases=("age",)),
    Field(3, "emails", "string", repeated=True),
    Field(5, "balance", "sint"),
    Field(6, "score", "float", default=0.5),
)

records = st.fixed_dictionaries(
    {
        "name": st.text(max_size=20),
        "age": st.none() | st.integers(0, 2**64),
        "emails": st.lists(st.text(max_size=8), max_size=4),
        "nickname": st.none() | st.text(max_size=8),
    }
)


@given(records)
def test_binary_round_trip(rec: dict[str, Any]) -> None:
    assert decode(V1, encode(V1, rec)) == rec


@given(records)
def test_json_round_trip(rec: dict[str, Any]) -> None:
    assert from_json(V1, to_json(V1, rec)) == rec


@given(
    st.integers(-(2**70), 2**70), st.binary(max_size=40), st.floats(allow_nan=False), st.booleans()
)
def test_every_type_round_trips(n: int, b: bytes, x: float, flag: bool) -> None:
    s = schema("T", Field(1, "n", "sint"), Field(2, "b", "bytes"), Field(3, "x", "float"),
               Field(4, "f", "bool"))  # fmt: skip
    rec = {"n": n, "b": b, "x": x, "f": flag}
    assert decode(s, encode(s, rec)) == rec
    assert from_json(s, to_json(s, rec)) == rec


def test_binary_is_compact() -> None:
    rec = {"name": "Martin", "age": 1337, "emails": ["a@b"], "nickname": None}
    assert len(encode(V1, rec)) < len(to_json(V1, rec)) / 2


@given(records)
def test_new_reader_reads_old_data_backward(rec: dict[str, Any]) -> None:
    new = decode(V2, encode(V1, rec))
    assert new["name"] == rec["name"]
    assert new["years"] == rec["age"]  # renamed: same tag
    assert new["emails"] == rec["emails"]
    assert new["balance"] is None and new["score"] == 0.5  # added fields default
    assert "nickname" not in new  # removed field skipped
    j = from_json(V2, to_json(V1, rec))  # JSON: the rename is found through the alias
    assert j == new


@given(records, st.integers(-(2**40), 2**40))
def test_old_reader_reads_new_data_forward(rec: dict[str, Any], balance: int) -> None:
    v2 = {"name": rec["name"], "years": rec["age"], "emails": rec["emails"], "balance": balance}
    old = decode(V1, encode(V2, v2))
    assert old == {"name": rec["name"], "age": rec["age"], "emails": rec["emails"],
                   "nickname": None}  # fmt: skip
    assert from_json(V1, to_json(V2, v2))["name"] == rec["name"]  # unknown names ignored


def test_compatibility_rules() -> None:
    assert compatibility(V1, V2) == [] and compatibility(V2, V1) == []
    required_added = schema("P", *V1.fields, Field(9, "id", "uint", required=True))
    assert "required" in compatibility(V1, required_added)[0]
    retyped = schema("P", Field(1, "name", "uint"))
    assert "wire type" in compatibility(V1, retyped)[0]
    zigzag = schema("P", Field(2, "age", "sint"))
    assert "differently" in compatibility(V1, zigzag)[0]
    unrepeated = schema("P", Field(3, "emails", "string"))
    assert "repeated" in compatibility(V1, unrepeated)[0]
    assert json_compatibility(V1, V2) == []
    assert json_compatibility(V1, schema("P", Field(2, "age", "string")))


def test_a_retyped_tag_is_detected_not_misread() -> None:
    data = encode(V1, {"name": "x", "age": 3})
    with pytest.raises(CorruptionError, match="wire type"):
        decode(schema("P", Field(2, "age", "string")), data)


def test_missing_required_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="required"):
        encode(V1, {"age": 3})
    with pytest.raises(CorruptionError, match="required"):
        decode(V1, encode(V2, {"name": "", "years": 1})[2:])  # drop the name field


@given(st.binary(max_size=30))
def test_garbage_raises_corruption_or_decodes(data: bytes) -> None:
    """Guards the decoder on garbage: a CorruptionError that says what is wrong, or a record
    of the schema's fields only (no other exception, no invented field)."""
    try:
        rec = decode(V2, data)
    except CorruptionError as e:
        assert str(e).strip()
    else:
        assert set(rec) <= {f.name for f in V2.fields}, rec


def test_bad_schemas_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        schema("S", Field(1, "a", "uint"), Field(1, "b", "uint"))
    with pytest.raises(ValueError, match="type"):
        Field(1, "a", "decimal")


@pytest.mark.parametrize("size", [0, 1, 127, 128, 129, 300, 2**14 - 1, 2**14])
def test_bytes_round_trip_at_the_varint_length_boundaries(size: int) -> None:
    """Guards the bytes fast path in ``encode`` (a length below 0x80 is one byte, longer
    ones a varint): at 128 a one-byte length would carry the continuation bit and the
    record would decode wrong or not at all."""
    s = schema("B", Field(1, "b", "bytes"))
    raw = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert decode(s, encode(s, {"b": raw})) == {"b": raw}


def test_integer_types_sharing_a_wire_type_are_compatible_unless_zigzag() -> None:
    """Guards ``compatibility``'s integer rule: uint and bool share the varint encoding (a
    reader may switch between them), while sint is zigzag-encoded, so it matches only
    itself.  A rule that flags every type change would refuse the safe evolution."""
    uint, boolean, sint = (schema("R", Field(1, "n", t)) for t in ("uint", "bool", "sint"))
    assert compatibility(uint, boolean) == []
    assert compatibility(uint, uint) == []
    assert compatibility(uint, sint) == ["tag 1: uint and sint encode integers differently"]
