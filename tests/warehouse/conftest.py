"""Fixtures: one throwaway PostgreSQL cluster for the module, stopped even when a test fails."""
import pytest

from tests.warehouse.postgres import Cluster


@pytest.fixture(scope="module")
def postgres():
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
