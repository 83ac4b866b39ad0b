"""Which request gets which transport/server fault, and the bodies those faults carry.

How a fault reaches the socket (dropping, stalling, truncating) is the HTTP layer's business; this
module only decides, deterministically from the seed or a script.
"""
import random
import threading

from .errors import error_body

KINDS = ("500_json", "502_html", "503", "drop", "stall", "truncate", "invalid_json")

# What a load balancer in front of the API answers when the upstream is gone.
BAD_GATEWAY_HTML = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
INTERNAL_ERROR_JSON = error_body(500, "internal_error", "An unexpected error occurred. Please try again.")


class FaultPlan:
    """Scripted faults first, in order (None = a clean request), then random ones at `rate`."""

    def __init__(self, rate, kinds, script, seed):
        self._rate = rate
        self._kinds = tuple(kinds)
        self._script = list(script)
        self._rng = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()

    def next(self):
        with self._lock:
            if self._script:
                return self._script.pop(0)
            if self._rate and self._kinds and self._rng.random() < self._rate:
                return self._rng.choice(self._kinds)
            return None


def corrupt(body):
    """A body that keeps its declared length honest but is not JSON: the first half of the real one."""
    return body[:len(body) // 2] or b"<"
