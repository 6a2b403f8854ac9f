"""The declared-option table: what it accepts, what it rejects, and how it says so."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.vocabulary import Option, OptionError, options_from_defaults, validate_options

LEVEL = Option("level", str, "a", choices=("a", "b", "c"))
TABLE = options_from_defaults({"nodes": 3, "ratio": 0.5, "flag": True}, (LEVEL,))


@given(st.sampled_from(LEVEL.choices or ()))
def test_every_choice_is_accepted(value: str) -> None:
    assert validate_options({"level": value}, TABLE, "s") == {"level": value}


@given(st.text().filter(lambda t: t not in ("a", "b", "c")))
def test_anything_else_is_rejected_listing_the_choices(value: str) -> None:
    """Guards enum validation: a value outside ``choices`` must never pass."""
    with pytest.raises(OptionError, match="takes one of 'a', 'b', 'c'"):
        validate_options({"level": value}, TABLE, "s")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"node": 3}, "did you mean 'nodes'"),
        ({"nodes": "3"}, "takes an integer"),
        ({"nodes": True}, "takes an integer"),  # a bool is not an int here
        ({"flag": "maybe"}, "takes a boolean"),
        ({"ratio": "x"}, "takes a number"),
    ],
)
def test_bad_keys_and_types_are_named(values: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        validate_options(values, TABLE, "s")


def test_ints_are_numbers_and_declared_defaults_follow_the_table() -> None:
    assert validate_options({"ratio": 1}, TABLE, "s") == {"ratio": 1.0}
    own = options_from_defaults({"level": "b"}, (LEVEL,))
    assert own[0].default == "b"


def test_a_default_without_an_obvious_type_must_be_declared() -> None:
    """Guards against a None default silently becoming an option that accepts nothing."""
    with pytest.raises(TypeError, match="declare them"):
        options_from_defaults({"retain": None})
