"""Fixtures: one throwaway PostgreSQL cluster for the module, stopped even when a test fails; a fresh
simulator of the warehouse dataset per test."""
import pytest

from tests.sandbox import Simulator
from tests.warehouse.postgres import Cluster
from tests.warehouse.values import DATASET


@pytest.fixture(scope="module")
def postgres():
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def sim():
    with Simulator(DATASET) as running:
        yield running
