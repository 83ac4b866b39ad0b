"""Knobs for one simulator run. Defaults model a healthy Enterprise org on prod1."""
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple, Union

from .auth import TokenSpec
from .catalog import STREAMS
from .faults import KINDS


@dataclass(frozen=True)
class SimOptions:  # pylint: disable=too-many-instance-attributes
    # One flat bag of knobs is the public interface tests construct; grouping them would break it.
    # Seeds the fault picker, the tie shuffle and which records mutations touch.
    seed: int = 0
    pod: str = "prod1"
    # The status of a wrong-pod answer is not documented (probably 401); its text is.
    wrong_pod_status: int = 401
    # token -> TokenSpec; None means one freshly made valid token (Simulator.token).
    tokens: Optional[Mapping[str, TokenSpec]] = None
    rate_limits: bool = True
    rate_window_seconds: float = 60.0
    org_limit: int = 1000
    search_limit: int = 100
    # x-ratelimit-reset: "epoch" (unix seconds), "delta" (seconds left), "epoch_ms", "http_date" (IMF-fixdate).
    reset_style: str = "epoch"
    retry_after: bool = False
    # Retry-After as "seconds" (delta) or "date" (HTTP-date); both are legal HTTP.
    retry_after_style: str = "seconds"
    # "wall": budget windows last rate_window_seconds; "requests": a window ends after rate_window_requests
    # requests, so tests can roll it deterministically (headers then count one request as one second).
    rate_clock: str = "wall"
    rate_window_requests: int = 100
    # Archive searches spend the "search" budget, or a "separate" one of the same size.
    archive_budget: str = "search"
    fault_rate: float = 0.0
    fault_kinds: Tuple[str, ...] = KINDS
    fault_script: Sequence[Optional[str]] = ()
    stall_seconds: float = 30.0
    # Order among records with equal updatedAt is undocumented; "shuffle" reorders them on every request.
    tie_order: str = "shuffle"
    company_updated_at_supported: bool = True
    # Name of the updated-at attribute inside a kobject_<klass> context: "generic" (kobject_updated_at),
    # "prefixed" (kobject_<klass>_updated_at) or "both"; the name not chosen is an unknown attribute.
    klass_updated_at: str = "both"
    # Two criteria on one attribute in `and`: "intersect" both, or only the "first" / "last" one counts.
    bound_semantics: str = "intersect"
    # None: meta.total is exact. An int caps meta.total (and totalPages / links.last) the way Elasticsearch's
    # track_total_hits does; links.next then follows the results the result cap still lets through.
    total_cap: Optional[int] = None
    # Refuse (400) a search page >= 2 whose pageSize is above 100.
    large_page_refused: bool = False
    # Standard search holds updatedAt >= edge; archive search holds the rest. The edge is now - horizon,
    # taken once at start ("fixed") or at every request ("moving", advancing horizon_speed data seconds per
    # real second). A positive overlap puts records within that many seconds of the edge in both indexes,
    # a negative one in neither.
    search_horizon_days: float = 730.0
    horizon_edge: str = "fixed"
    horizon_overlap_seconds: float = 0.0
    horizon_speed: float = 1.0
    # Archive page/result caps: "same" as search (100 pages, 10,000 results) or (max_pages, max_results).
    archive_caps: Union[str, Tuple[int, int]] = "same"
    # "constant": every update reaches search index_lag_seconds later; "varying": each update draws its own
    # lag in [0, index_lag_seconds], so updates surface out of order. index_lag_searches > 0 also holds an
    # update back until that many more searches were served (deterministic lag for tests).
    index_lag_seconds: float = 0.0
    index_lag_mode: str = "constant"
    index_lag_searches: int = 0
    # A key without a read role gets "403", "401", or a 200 with the denied records "filtered" out.
    missing_role: str = "403"
    # GET lists in "creation" order, "newest" first, or "unstable" (reshuffled per request).
    list_order: str = "creation"
    # After page 1 of a list is first served, hard-delete this many of its records (once per list).
    list_hard_deletes: int = 0
    # (after_n_successful_searches, stream, count): mutate(stream, count) once that many searches were served.
    mutations: Sequence[Tuple[int, str, int]] = ()
    record_bodies: bool = False

    def __post_init__(self):
        _one_of("reset_style", self.reset_style, ("epoch", "delta", "epoch_ms", "http_date"))
        _one_of("retry_after_style", self.retry_after_style, ("seconds", "date"))
        _one_of("rate_clock", self.rate_clock, ("wall", "requests"))
        _one_of("archive_budget", self.archive_budget, ("search", "separate"))
        _one_of("tie_order", self.tie_order, ("id", "shuffle"))
        _one_of("klass_updated_at", self.klass_updated_at, ("generic", "prefixed", "both"))
        _one_of("bound_semantics", self.bound_semantics, ("intersect", "first", "last"))
        _one_of("horizon_edge", self.horizon_edge, ("fixed", "moving"))
        _one_of("index_lag_mode", self.index_lag_mode, ("constant", "varying"))
        _one_of("missing_role", self.missing_role, ("403", "401", "filtered"))
        _one_of("list_order", self.list_order, ("creation", "newest", "unstable"))
        if self.archive_caps != "same" and not (len(self.archive_caps) == 2 and min(self.archive_caps) >= 1):
            raise ValueError("archive_caps must be \"same\" or (max_pages, max_results) of positive ints")
        if self.total_cap is not None and self.total_cap < 0:
            raise ValueError("total_cap must be None or >= 0")
        if min(self.index_lag_searches, self.list_hard_deletes) < 0 or self.rate_window_requests < 1:
            raise ValueError("index_lag_searches and list_hard_deletes must be >= 0, rate_window_requests >= 1")
        for kind in (*self.fault_kinds, *(k for k in self.fault_script if k is not None)):
            _one_of("fault kind", kind, KINDS)
        for _, stream, _ in self.mutations:
            _one_of("mutation stream", stream, STREAMS)
        if not 0 <= self.fault_rate <= 1:
            raise ValueError("fault_rate must be within [0, 1]")


def _one_of(what, value, allowed):
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, not {value!r}")
