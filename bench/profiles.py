"""Lumpy data sets shaped like the org of issue 13: bulk-import ties where page boundaries fall, busy and
quiet months, thin small streams. Built here with the simulator's own generator (tests/sandbox/data.py).

Totals per search stream are exact (ties included): 25,800 records in search streams, 26,742 in all.
Over five years (the simulator's full history) the tap reads a standard span, then an archive span;
over 700 days (the issue's own org) only the standard span.
"""
import random

from tests.sandbox import Dataset
from tests.sandbox.data import HISTORY_DAYS, PageTie

PAGE = 500
TOTALS = {"customers": 6000, "conversations": 4000, "messages": 12000, "notes": 1500, "kobjects": 1500,
          "companies": 800, "users": 700, "teams": 30, "tags": 120, "shortcuts": 88, "brands": 4}
BIG = ("customers", "conversations", "messages")
THIN = ("notes", "kobjects", "companies")
# Where the big ties go, as page boundaries: (k, counted from the horizon?). A tie starts 100 records
# before boundary k of 500-record pages counted from the start of its span, so it straddles that boundary
# (a tie of 1,200 straddles three). Five years: archive-span ties count from the oldest record, standard-
# span ties from the horizon; 700 days: everything is the standard span, counted from the oldest record.
TIE_PAGES = {
    "five_years": {"customers": [(2, False), (2, True)], "conversations": [(2, True)],
                   "messages": [(4, False), (3, True), (7, True)]},
    "700_days": {"customers": [(4, False), (9, False)], "conversations": [(5, False)],
                 "messages": [(5, False), (12, False), (19, False)]},
}
# Smaller ties near the newest end: (size, age in days).
RECENT_TIES = {"customers": (140, 3), "conversations": (130, 2), "messages": (150, 5)}
HORIZON_DAYS = 731  # the tap's standard span starts a day before the 730-day horizon
LEAD = 100


def _weights(rng, slices, stream):
    """Monthly weights, oldest first, growing towards today: big streams busy and calm, thin ones patchy
    with quiet months (weight 0) between bursts of activity."""
    levels = (0, 0, 0.1, 0.5, 1, 3, 6) if stream in THIN else (0.3, 0.6, 1, 1, 1.5, 2.5)
    return [rng.choice(levels) * (0.4 + 0.6 * index / slices) for index in range(slices)]


def lumpy_spec(tie_size, history_days=HISTORY_DAYS):
    """Dataset.generate's keyword arguments for the lumpy org with big ties of `tie_size`."""
    layout = TIE_PAGES["five_years" if history_days > HORIZON_DAYS else "700_days"]
    rng = random.Random(f"lumpy:{history_days}")
    slices = max(1, round(history_days / 30.44))
    density = {name: _weights(rng, slices, name) for name in BIG + THIN}
    bursts, counts = {}, dict(TOTALS)
    for name in BIG:
        ties = [PageTie(tie_size, k * PAGE - LEAD, HORIZON_DAYS if recent else None)
                for k, recent in layout[name]]
        bursts[name] = ties + [RECENT_TIES[name]]
        counts[name] -= sum(tie[0] for tie in bursts[name])
    return {"counts": counts, "tie_bursts": bursts, "density": density, "history_days": history_days}


def lumpy_dataset(seed, anchor_ms, tie_size, history_days=HISTORY_DAYS):
    return Dataset.generate(seed=seed, now=anchor_ms, **lumpy_spec(tie_size, history_days))


# name -> (tie size, history days); the first two are the goals, over five years.
LUMPY = {"lumpy-300": (300, HISTORY_DAYS), "lumpy-1200": (1200, HISTORY_DAYS),
         "lumpy-300-700d": (300, 700), "lumpy-1200-700d": (1200, 700)}
# Requests per 1,000 records the issue asks for, by tie size.
GOALS = {300: 2.05, 1200: 2.15}
