"""Typed options: one frozen dataclass is the declaration, the defaults and the parsed value."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.vocabulary import (
    Option,
    OptionError,
    option,
    option_defaults,
    option_table,
    typed_options,
    validate_options,
)


@dataclass(frozen=True)
class Sample:
    keys: int = 3
    ratio: float = 0.5
    spread: bool = True
    mode: str = option("a", choices=("a", "b"), help="which mode")
    terms: tuple[str, ...] = ("x", "y")
    model: str | None = option(None, choices=("s", "l"))


def test_the_table_is_derived_from_the_fields() -> None:
    """Guards the derivation: names, JSON types, defaults, choices and help all come from
    the dataclass (tuples declared as lists, ``| None`` dropped)."""
    assert option_table(Sample) == (
        Option("keys", int, 3),
        Option("ratio", float, 0.5),
        Option("spread", bool, True),
        Option("mode", str, "a", ("a", "b"), "which mode"),
        Option("terms", list, ["x", "y"]),
        Option("model", str, None, ("s", "l")),
    )
    assert option_defaults(Sample) == {
        "keys": 3,
        "ratio": 0.5,
        "spread": True,
        "mode": "a",
        "terms": ["x", "y"],
        "model": None,
    }


def test_values_in_typed_attributes_out() -> None:
    """Guards parsing: given values land on their fields (an int ratio becomes a float, a
    list a tuple), the rest keep their defaults, and the result is frozen."""
    got = typed_options(Sample, {"keys": 7, "ratio": 1, "terms": ["q"], "model": "s"}, "w")
    assert got == Sample(keys=7, ratio=1.0, terms=("q",), model="s")
    assert isinstance(got.ratio, float) and isinstance(got.terms, tuple)
    with pytest.raises(FrozenInstanceError):
        got.keys = 1  # type: ignore[misc]


def test_the_runners_defaults_mapping_parses_back_to_the_defaults() -> None:
    """Guards the round trip the runner relies on: ``{**defaults, **options}``."""
    assert typed_options(Sample, option_defaults(Sample), "w") == Sample()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"key": 3}, "option for w: 'key'; did you mean 'keys'"),
        ({"keys": "3"}, "w: option 'keys' takes an integer"),
        ({"keys": 2.5}, "takes an integer"),
        ({"spread": 1}, "takes a boolean"),
        ({"mode": "c"}, "takes one of 'a', 'b'"),
        ({"terms": "xy"}, "takes a list"),
    ],
)
def test_bad_values_are_refused_naming_owner_and_option(values: dict, message: str) -> None:
    """Guards fail-closed parsing: nothing undeclared or mistyped reaches a generator."""
    with pytest.raises(OptionError, match=message):
        typed_options(Sample, values, "w")


def test_context_keys_are_skipped_and_only_those() -> None:
    """Guards the context exemption: the runner's ``nemesis`` fact passes, a typo does not."""
    assert typed_options(Sample, {"nemesis": ["kill"]}, "w", ("nemesis",)) == Sample()
    with pytest.raises(OptionError, match="nemesis"):
        typed_options(Sample, {"nemesis": ["kill"]}, "w")


@given(
    keys=st.integers(-5, 1000),
    ratio=st.floats(0, 1) | st.integers(0, 1),
    mode=st.sampled_from(("a", "b")),
)
def test_what_validation_accepts_parsing_accepts(keys: int, ratio: float, mode: str) -> None:
    """Guards one source: the derived table and the parser agree on every valid input."""
    values = {"keys": keys, "ratio": ratio, "mode": mode}
    checked = validate_options(values, option_table(Sample), "w")
    assert typed_options(Sample, values, "w") == Sample(**checked)


def test_declarations_that_cannot_be_options_are_refused() -> None:
    """Guards the declaration rules: frozen, a default per field, JSON types, no mutable
    defaults."""

    @dataclass
    class Mutable:
        keys: int = 3

    @dataclass(frozen=True)
    class NoDefault:
        keys: int

    @dataclass(frozen=True)
    class OddType:
        when: complex = 1j

    @dataclass(frozen=True)
    class ListDefault:
        terms: list[str] = field(default_factory=list)

    for cls, message in [
        (Mutable, "frozen dataclass"),
        (NoDefault, "needs a default"),
        (OddType, "not an option type"),
        (ListDefault, "needs a default"),
    ]:
        with pytest.raises(TypeError, match=message):
            option_table(cls)
    with pytest.raises(TypeError, match="immutable default"):
        option(["x"])
