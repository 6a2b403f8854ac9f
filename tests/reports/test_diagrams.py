"""Diagram helpers: message windows, bar labels."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reports._diagrams import MessageLog, _fit, _in

MESSAGE = st.fixed_dictionaries(
    {"id": st.integers(0, 100), "src": st.sampled_from(["n1", "c0"]),
     "dst": st.sampled_from(["n2", "c1"]), "sent": st.integers(0, 1000),
     "outcome": st.sampled_from(["delivered", "lost"])},
).flatmap(lambda m: st.builds(lambda at: {**m, "at": at},
                              st.none() | st.integers(m["sent"], m["sent"] + 300)))  # fmt: skip


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
