"""``ddialab list`` layout (issue #20): long names never push descriptions out of line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ddialab._cli_list import MAX_NAME, layout

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=60)
descriptions = st.text(alphabet="abcdefgh xyz()=,\n", min_size=1, max_size=300)


@given(st.lists(st.tuples(names, descriptions), min_size=1, max_size=8), st.integers(60, 200))
def test_descriptions_share_one_column_and_fit_the_width(
    rows: list[tuple[str, str]], width: int
) -> None:
    """Guards the column: every description line starts at the same offset (names longer
    than MAX_NAME stand alone on their line), and no line exceeds the width."""
    lines = layout(rows, width)
    column = max((len(n) for n, _ in rows if len(n) <= MAX_NAME), default=MAX_NAME) + 4
    for line in lines:
        assert len(line) <= max(width, column + 22)
    named = {f"  {n}" for n, _ in rows}
    for line in lines:
        if line.startswith("  ") and not line.startswith(" " * column):
            head = line[:column].rstrip()
            assert head in named or line in named, line
            if line not in named:
                assert line[column - 2 : column] == "  "  # the gap before the description
    assert sum(1 for line in lines if line.strip()) >= len(rows)


def test_a_long_name_gets_a_line_of_its_own() -> None:
    """Guards the case the issue reported: a 43-character system name."""
    long = "leader-follower-upgrade-forced-incompatible"
    lines = layout([("short", "one"), (long, "two words")], 100)
    assert lines[0] == f"  {'short':<{len('short')}}  one"
    column = len("short") + 4
    assert lines[1] == f"  {long}"
    assert lines[2] == " " * column + "two words"
