"""Fixtures: a simulator per test (real HTTP on 127.0.0.1) and a catalog from the real --discover."""
# pytest passes fixtures by parameter name, which is what this check objects to.
# pylint: disable=redefined-outer-name
import copy

import pytest

from tests.e2e.harness import ALL_STREAMS, discover, select
from tests.sandbox import Dataset, SimOptions, Simulator


@pytest.fixture
def start_sim():
    started = []

    def start(options=None, profile="small", seed=7, dataset=None):
        """A running simulator; pass `dataset` to judge records by what it holds (a kobject's klass)."""
        sim = Simulator(dataset or Dataset.profile(profile, seed=seed), options or SimOptions())
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("discover")
    return discover(workdir, None)


@pytest.fixture
def catalog(catalog_template):
    def build(streams=ALL_STREAMS, deselect_fields=()):
        return select(copy.deepcopy(catalog_template), streams, deselect_fields)
    return build
