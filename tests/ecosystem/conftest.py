"""A fresh simulator per test, served over real HTTP on 127.0.0.1 for the real tap, targets and Meltano."""
import pytest

from tests.sandbox import Dataset, SimOptions, Simulator


@pytest.fixture(name="dataset")
def fixture_dataset():
    """The org `sim` serves: a test reads what its records hold from here (a kobject's klass)."""
    return Dataset.profile("small", seed=7)


@pytest.fixture
def sim(dataset):
    # A 6 s budget window keeps the tap's rate-limit pacing real while a run that spends the search budget
    # waits seconds, not a minute.
    with Simulator(dataset, SimOptions(rate_window_seconds=6)) as simulator:
        yield simulator
