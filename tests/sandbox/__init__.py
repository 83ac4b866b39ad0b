"""A faithful local simulator of the Kustomer REST API (v1) for testing tap-kustomer.

    ds = Dataset.generate(seed=7, counts={"customers": 300}, tie_bursts={"customers": 1200})
    with Simulator(ds, SimOptions(tie_order="id")) as sim:
        ...  # sim.url, sim.token, sim.truth(), sim.mutate(), sim.requests, sim.stats()
"""
from .auth import TokenSpec, make_token
from .data import Dataset
from .options import SimOptions
from .simulator import Simulator

__all__ = ["Dataset", "SimOptions", "Simulator", "TokenSpec", "make_token"]
