from __future__ import annotations

import pytest

from streams.windows import MIN_STD, WindowSpec, add, stats

HOUR = WindowSpec("1h", 3600, 300)
T0 = 1_800_000_000.0  # a multiple of 300


def fill(times: list[float], tension: float = 0.5, spec: WindowSpec = HOUR):
    state = None
    for i, ts in enumerate(times):
        state = add(state, spec, ts, tension, {"id": f"a{i}", "title": "t", "url": None}, ["shots"])
    assert state is not None
    return state


def test_counts_within_the_window() -> None:
    state = fill([T0 + 10, T0 + 20, T0 + 700])
    st = stats(state, HOUR)
    assert st.count == 3
    assert st.mean_tension == pytest.approx(0.5)
    assert st.end == T0 + 900  # the step after the latest event
    assert st.start == st.end - 3600


def test_old_buckets_leave_the_window() -> None:
    state = fill([T0, T0 + 60, T0 + 4000])
    assert stats(state, HOUR).count == 1
    assert stats(state, HOUR, now=T0 + 4000 + 3600).count == 0


def test_input_state_is_not_modified() -> None:
    state = fill([T0])
    before = repr(state)
    add(state, HOUR, T0 + 10, 0.9)
    assert repr(state) == before


def test_first_burst_has_a_bounded_zscore() -> None:
    state = fill([T0 + i for i in range(12)])
    st = stats(state, HOUR)
    assert st.count == 12
    assert st.baseline_mean == 0.0
    assert st.zscore == pytest.approx(12 / MIN_STD)


def test_baseline_learns_the_usual_level() -> None:
    # two articles every 5 minutes for two days: the usual 1h count is about 24
    times = [T0 + k * 300 + j for k in range(2 * 24 * 12) for j in (1, 2)]
    state = fill(times)
    st = stats(state, HOUR)
    assert 18 < st.baseline_mean <= 24
    assert abs(st.zscore) < 3
    burst = fill([*times, *[times[-1] + 1 + i for i in range(30)]])
    assert stats(burst, HOUR).zscore > 3


def test_a_long_gap_decays_the_baseline() -> None:
    times = [T0 + k * 300 for k in range(24 * 12)]
    state = fill(times)
    busy = stats(state, HOUR).baseline_mean
    later = add(state, HOUR, times[-1] + 30 * 86400, 0.1)
    assert stats(later, HOUR).baseline_mean < busy / 10
    assert stats(later, HOUR).count == 1


def test_too_late_events_are_ignored() -> None:
    state = fill([T0 + 10000])
    assert stats(add(state, HOUR, T0, 0.5), HOUR).count == 1


def test_recent_articles_and_evidence() -> None:
    state = fill([T0 + i for i in range(8)])
    st = stats(state, HOUR)
    assert [a["id"] for a in st.articles] == ["a7", "a6", "a5", "a4", "a3"]
    assert st.evidence == ("shots",)
