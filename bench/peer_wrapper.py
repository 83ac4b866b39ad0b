"""Run the published tap-kustomer 1.1.0 against the simulator: `python -I peer_wrapper.py BASE_URL TAP_ARGS...`.

Runs with the peer venv's interpreter, never ours. The published client hard-codes
https://api.kustomerapp.com/v1 into each instance's `base_url`. A class-level property shadows that one
attribute: the constructor's assignment is dropped and every read returns the simulator's URL. Nothing
else in the tap is touched, so its paging, retries, transform and output are exactly as published.
"""
import sys
from importlib import import_module
from importlib.metadata import version

PUBLISHED = "1.1.0"


def point_at(base_url):
    # Imported by name at run time: the published package shares its name with ours.
    client = import_module("tap_kustomer.client")
    url = base_url.rstrip("/") + "/" + client.API_VERSION
    client.KustomerClient.base_url = property(lambda _self: url, lambda _self, _value: None)


def main():
    if len(sys.argv) < 2 or not sys.argv[1].startswith("http://"):
        raise SystemExit("usage: peer_wrapper.py http://HOST:PORT [tap arguments]")
    installed = version("tap-kustomer")
    if installed != PUBLISHED:
        raise SystemExit(f"expected the published tap-kustomer {PUBLISHED}, found {installed}")
    point_at(sys.argv.pop(1))
    import_module("tap_kustomer").main()


if __name__ == "__main__":
    main()
