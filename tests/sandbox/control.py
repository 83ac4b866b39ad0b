"""/_sim/* endpoints: ground truth, stats, the search horizon, mutations and hard deletes for a simulator
running in another process.

Not part of the modelled API: no auth, no budgets, no faults, not journaled.
"""
import json

from .timefmt import fmt_ms


def handle_control(simulator, method, path, body):
    """(status, JSON-able payload) for a control request."""
    if method == "GET" and path == "/_sim/truth":
        return 200, simulator.truth()
    if method == "GET" and path == "/_sim/stats":
        return 200, simulator.stats()
    if method == "GET" and path == "/_sim/horizon":
        return 200, {"edge": fmt_ms(simulator.search_edge())}
    changes = {"/_sim/mutate": simulator.mutate, "/_sim/delete": simulator.delete}
    if method == "POST" and path in changes:
        try:
            request = json.loads(body or b"{}")
            return 200, {"ids": changes[path](request["stream"], int(request["count"]))}
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"error": f"expected {{\"stream\": ..., \"count\": N}}: {exc}"}
    return 404, {"error": f"no control endpoint {method} {path}"}
