"""Diagram helpers: message windows, bar labels."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reports._diagrams import MessageLog, _fit, _in

MESSAGE = st.builds(
    lambda i, src, dst, sent, transit, lost: {
        "id": i, "src": src, "dst": dst, "sent": sent,
        "at": None if transit is None else sent + transit,
        "outcome": "lost" if lost else "delivered",
    },
    st.integers(0, 100), st.sampled_from(["n1", "c0"]), st.sampled_from(["n2", "c1"]),
    st.integers(0, 1000), st.none() | st.integers(0, 300), st.booleans(),
)  # fmt: skip


@settings(max_examples=60)
@given(st.lists(MESSAGE, max_size=40), st.integers(0, 1300), st.integers(0, 400))
def test_message_window_is_the_brute_force_filter(messages: list, lo: int, width: int) -> None:
    log = MessageLog(messages)
    got = log.window(lo, lo + width)
    want = [m for m in log.messages if _in(m, lo, lo + width)]
    assert got == want


def test_bar_labels_fit_their_bars() -> None:
    assert _fit(12, "read of 111", 200) == "#12 read of 111"
    assert _fit(12, "read of 111", 60) == "#12 rea…"
    assert _fit(None, "read of 111", 10) == ""
    assert _fit(3, "write", 5).startswith("#3")
