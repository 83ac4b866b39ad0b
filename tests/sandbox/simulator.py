"""The public handle: a Kustomer API simulator on 127.0.0.1 serving one Dataset in a background thread."""
import threading

from . import custom_added
from .api import Api
from .auth import TokenSpec, make_token
from .faults import FaultPlan
from .journal import Journal
from .options import SimOptions
from .server import SimHTTPServer
from .store import Store


class Simulator:
    def __init__(self, dataset, options=None, host="127.0.0.1", port=0):
        self.options = options or SimOptions()
        self._address = (host, port)
        tokens = self.options.tokens
        if tokens is None:
            tokens = {make_token(self.options.pod): TokenSpec(pod=self.options.pod)}
        self._tokens = dict(tokens)
        self._store = Store(dataset, self.options.index_lag_seconds, self.options.seed, self.options.index_lag_mode,
                            self.options.index_lag_searches)
        self._journal = Journal(self.options.record_bodies)
        self._api = Api(self._store, self.options, self._tokens)
        self._faults = FaultPlan(self.options.fault_rate, self.options.fault_kinds, self.options.fault_script,
                                 self.options.seed)
        self._server = None
        self._thread = None

    def start(self):
        if self._server is not None:
            return self
        self._server = SimHTTPServer(self._address, self, self._api, self._faults, self._journal,
                                     self.options.stall_seconds)
        # A restart after stop() keeps the same port, so a client's base URL stays valid.
        self._address = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kustomer-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("simulator is not running")
        host, port = self._address
        return f"http://{host}:{port}"

    @property
    def token(self):
        """A key that works: right pod, not expired, no denied roles (else the first configured key)."""
        for token, spec in self._tokens.items():
            if spec.pod == self.options.pod and not spec.expired and not spec.denied:
                return token
        return next(iter(self._tokens))

    @property
    def requests(self):
        return self._journal.entries()

    @property
    def served_bodies(self):
        return self._journal.bodies()

    def stats(self):
        return self._journal.stats()

    def truth(self):
        """{stream: {id: updatedAt}} of every record's latest version, whatever search shows yet."""
        return self._store.truth()

    @property
    def klasses(self):
        """The org's klasses: `sim.klasses.add()` creates one, e.g. between a tap's discovery and its sync."""
        return self._api.klasses

    def mutate(self, stream, count):
        return self._store.mutate(stream, count)

    def add_custom_attribute(self, stream, name, value, count=None):
        """Add custom attribute `name` now: `count` records (all when None) are updated and carry `value` from
        that version on (custom_added.py); returns their ids."""
        return custom_added.add(self._store, stream, name, value, count)

    def delete(self, stream, count):
        """Hard-delete `count` random records of `stream` (gone from lists, search and truth); their ids."""
        return self._store.delete(stream, count)

    def search_edge(self):
        """Epoch ms of the horizon now: standard search holds updatedAt >= it, archive search the rest
        (give or take SimOptions.horizon_overlap_seconds)."""
        return self._api.horizon.edge()
