"""Knobs for one simulator run. Defaults model a healthy Enterprise org on prod1."""
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

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
    reset_style: str = "epoch"
    retry_after: bool = False
    fault_rate: float = 0.0
    fault_kinds: Tuple[str, ...] = KINDS
    fault_script: Sequence[Optional[str]] = ()
    stall_seconds: float = 30.0
    # Order among records with equal updatedAt is undocumented; "shuffle" reorders them on every request.
    tie_order: str = "shuffle"
    company_updated_at_supported: bool = True
    index_lag_seconds: float = 0.0
    # (after_n_successful_searches, stream, count): mutate(stream, count) once that many searches were served.
    mutations: Sequence[Tuple[int, str, int]] = ()
    record_bodies: bool = False

    def __post_init__(self):
        _one_of("reset_style", self.reset_style, ("epoch", "delta"))
        _one_of("tie_order", self.tie_order, ("id", "shuffle"))
        for kind in (*self.fault_kinds, *(k for k in self.fault_script if k is not None)):
            _one_of("fault kind", kind, KINDS)
        for _, stream, _ in self.mutations:
            _one_of("mutation stream", stream, STREAMS)
        if not 0 <= self.fault_rate <= 1:
            raise ValueError("fault_rate must be within [0, 1]")


def _one_of(what, value, allowed):
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, not {value!r}")
