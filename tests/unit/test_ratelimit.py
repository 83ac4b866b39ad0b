"""Pacing from headers and local caps, on a fake clock: exact waits, no real sleeping."""
import pytest

from tap_kustomer.ratelimit import MAX_RESET_WAIT, Pacer, SlidingCap, seconds_until_reset, wait_after_429


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.wall_offset = 1_700_000_000.0
        self.sleeps = []

    def mono(self):
        return self.now

    def wall(self):
        return self.now + self.wall_offset

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def pacer(clock, **kwargs):
    return Pacer(clock=clock.mono, wall=clock.wall, sleep=clock.sleep, **kwargs)


WALL = 1_700_000_000.0  # 2023-11-14T22:13:20Z


# Rows marked "new" fail on the reader that knew only deltas and epoch seconds.
@pytest.mark.parametrize("value,expected", [
    ("30", 30.0),
    ("0", 0.0),
    (" 7 ", 7.0),
    ("2.5", 2.5),
    ("-5", 0.0),
    ("99999", MAX_RESET_WAIT),
    (str(int(WALL) + 45), 45.0),
    ("1700000045.5", 45.5),
    ("1699999990", 0.0),
    (str(int(WALL) * 1000 + 45_000), 45.0),  # new: epoch milliseconds
    ("1700000045500", 45.5),  # new
    ("1699999990000", 0.0),  # new
    ("Tue, 14 Nov 2023 22:14:05 GMT", 45.0),  # new: RFC 7231 IMF-fixdate
    ("Tuesday, 14-Nov-23 22:14:05 GMT", 45.0),  # new: RFC 850, which HTTP still asks readers to accept
    ("Tue Nov 14 22:14:05 2023", 45.0),  # new: asctime
    ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),  # new
    ("2023-11-14T22:14:05Z", 45.0),  # new: ISO 8601
    ("2023-11-14T22:14:05.250+00:00", 45.25),  # new
    ("2023-11-14T23:14:05+01:00", 45.0),  # new
    ("2023-11-14T22:14:05", 45.0),  # new: no offset means UTC
    ("nan", None),  # new: float() reads it, and it used to come back as nan
    ("inf", None),  # new
    ("soon", None),
    ("", None),
    (None, None),
])
def test_reset_header_in_every_plausible_unit(value, expected):
    assert seconds_until_reset(value, WALL) == expected


@pytest.mark.parametrize("headers,expected", [
    ({"retry-after": "3", "x-ratelimit-reset": "50"}, 3.0),
    ({"retry-after": "Tue, 14 Nov 2023 22:13:23 GMT", "x-ratelimit-reset": "50"}, 3.0),
    ({"x-ratelimit-reset": "50"}, 50.0),
    ({"x-ratelimit-reset": str(int(WALL) * 1000 + 50_000)}, 50.0),
    ({"retry-after": "0", "x-ratelimit-reset": "5"}, 5.0),
    ({"retry-after": "0"}, 9),
    ({"x-ratelimit-reset": "1699999990"}, 9),
    ({"retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"}, 9),
    ({"retry-after": "later"}, 9),
    ({}, 9),
])
def test_429_waits_for_retry_after_then_reset_then_a_positive_fallback(headers, expected):
    assert wait_after_429(headers, WALL, 9) == expected


def test_waits_for_reset_when_remaining_hits_zero_epoch_style():
    clock = FakeClock()
    pace = pacer(clock)
    pace.before("list")
    pace.after("list", {"x-ratelimit-limit": "300", "x-ratelimit-remaining": "1",
                        "x-ratelimit-reset": str(int(clock.wall()) + 20)})
    pace.before("list")  # spends the last one
    assert not clock.sleeps
    pace.before("list")  # must wait for the window to reset
    # the header is rounded up to whole seconds already: no slack until a 429 says it is needed
    assert clock.sleeps == [20.0]


def test_waits_for_reset_delta_style():
    clock = FakeClock()
    pace = pacer(clock)
    pace.after("search", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "7"})
    pace.before("search")
    assert clock.sleeps == [7.0]


def test_local_search_cap_spreads_a_burst():
    clock = FakeClock()
    pace = pacer(clock, search_per_minute=3)
    for _ in range(4):
        pace.before("search")
    assert clock.sleeps == [60.0]


def test_org_cap_applies_to_lists_too():
    clock = FakeClock()
    pace = pacer(clock, max_per_minute=2)
    for _ in range(3):
        pace.before("list")
    assert clock.sleeps == [60.0]


def test_each_429_adds_slack_to_later_waits():
    clock = FakeClock()
    pace = pacer(clock)
    for _ in range(3):
        pace.rate_limited("list", 9)
    pace.before("list")
    # three 429s: each adds a quarter second to the waits for a reset
    assert clock.sleeps == [9.75]


def test_slack_after_429s_is_capped():
    clock = FakeClock()
    pace = pacer(clock)
    for _ in range(20):
        pace.rate_limited("search", 5)
    pace.before("search")
    assert clock.sleeps == [7.0]


def test_sliding_cap_forgets_old_requests():
    cap = SlidingCap(2, window=10)
    cap.spend(0)
    cap.spend(1)
    assert cap.wait(5) == 5
    assert cap.wait(10.5) == 0


def test_searches_burst_until_the_budget_runs_dry_then_go_evenly():
    clock = FakeClock()
    pace = pacer(clock, search_per_minute=100)
    for _ in range(5):
        pace.before("search")
    assert not clock.sleeps  # inside the budget: no waiting at all
    pace.after("search", {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "4"})
    pace.before("search")
    assert clock.sleeps == [4.0]  # the first time, the header is all there is to go by
    pace.after("search", {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "9", "x-ratelimit-reset": "6"})
    for _ in range(3):
        pace.before("search")
    interval = round(60 / (100 * 0.97), 3)
    assert clock.sleeps == [4.0, interval, interval, interval]


def test_spaced_searches_do_not_wait_on_a_rounded_reset_beyond_its_last_possible_second():
    clock = FakeClock()
    pace = pacer(clock, search_per_minute=100)
    pace.after("search", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    pace.before("search")  # engages spacing
    pace.after("search", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"})
    pace.before("search")
    # "3" means the reset is in (2, 3] seconds: spaced requests may go at 2, a 429 would say otherwise
    assert clock.sleeps == [1.0, 2.0]


def test_a_429_while_spaced_slows_the_spacing_and_is_waited_out_in_full():
    clock = FakeClock()
    pace = pacer(clock, search_per_minute=100)
    pace.after("search", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    pace.before("search")
    pace.rate_limited("search", 3)
    pace.before("search")
    pace.after("search", {"x-ratelimit-remaining": "5", "x-ratelimit-reset": "30"})
    pace.before("search")
    interval = 60 / (100 * 0.97) * 1.05
    assert clock.sleeps == [1.0, 3.25, round(interval, 3)]
