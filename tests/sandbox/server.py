"""HTTP plumbing: a threaded HTTP/1.1 server that hands /v1 requests to the Api, /_sim requests to the
control endpoints, and delivers faults the way a broken network or gateway would.
"""
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .control import handle_control
from .faults import BAD_GATEWAY_HTML, INTERNAL_ERROR_JSON, corrupt


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, simulator, api, faults, journal, stall_seconds):
        self.simulator = simulator
        self.api = api
        self.faults = faults
        self.journal = journal
        self.stall_seconds = stall_seconds
        self.stopping = threading.Event()
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection, alive):
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self):
        """Unblock handler threads parked on keep-alive connections so stop() returns promptly."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # Clients that time out or give up mid-response (stall, truncate) are expected, not errors.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimHTTPServer

    def version_string(self):
        return "kustomer-sim"

    def setup(self):
        super().setup()
        self.server.track(self.connection, True)

    def finish(self):
        self.server.track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silenced: the journal is the request log."""

    def do_GET(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_POST(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_PUT(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._dispatch()

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._dispatch()

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # Left unread, a chunked body would be parsed as the next request on this connection.
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self):
        body = self._read_body()
        path = urlsplit(self.path).path
        try:
            if path == "/_sim" or path.startswith("/_sim/"):
                status, payload = handle_control(self.server.simulator, self.command, path.rstrip("/"), body)
                self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())
            else:
                self._serve_api(body)
        except OSError:
            self.close_connection = True

    def _serve_api(self, body):
        fault = self.server.faults.next()
        entry = {"method": self.command, "path": urlsplit(self.path).path, "at": time.time(), "fault": fault,
                 "kind": None, "context": None, "page": None, "page_size": None, "status": None, "bytes": 0,
                 "ratelimited": False}
        if fault == "stall" and self.server.stopping.wait(self.server.stall_seconds):
            entry["kind"] = self.server.api.classify(self.command, self.path)
            self.server.journal.add(entry)
            self.close_connection = True
            return
        outcome = self.server.api.handle(self.command, self.path, self.headers, body, faulted=fault is not None)
        entry.update(kind=outcome.kind, context=outcome.context, page=outcome.page, page_size=outcome.page_size,
                     ratelimited=outcome.ratelimited)
        reply = _faulty_reply(fault, outcome)
        if reply is not None:
            entry.update(status=reply[0], bytes=len(reply[2]))
        clean = fault in (None, "stall") and outcome.status == 200
        # Journal before writing, so a client that has its answer also finds it in Simulator.requests.
        self.server.journal.add(entry, outcome.body if clean else None)
        if reply is None:
            self.close_connection = True
            return
        status, headers, payload, declared = reply
        # After a short body the connection is unusable for another request.
        self.close_connection = self.close_connection or declared is not None
        self._send(status, headers, payload, declared)

    def _send(self, status, headers, body, declared=None):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


def _faulty_reply(fault, outcome):
    """(status, headers, body, declared Content-Length or None) to write, or None to drop the connection."""
    if fault == "drop":
        return None
    status, headers, body, declared = outcome.status, outcome.headers, outcome.body, None
    if fault == "500_json":
        status, body = 500, INTERNAL_ERROR_JSON
    elif fault == "502_html":
        status, headers, body = 502, {"Content-Type": "text/html"}, BAD_GATEWAY_HTML
    elif fault == "503":
        # Gateways answer 503 with an empty body, which some clients try (and fail) to parse.
        status, headers, body = 503, {}, b""
    elif fault == "truncate":
        declared, body = len(body), body[:len(body) // 2]
    elif fault == "invalid_json":
        body = corrupt(body)
    return status, headers, body, declared
