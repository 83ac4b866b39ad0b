"""The API's error envelope, shaped so both documented parsers work.

Kustomer documents two error shapes (`code`/`message` and JSON:API `status`/`title`/`detail`) and tells
clients to accept both; every entry here carries all of those keys.
"""
import json

TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          429: "Too Many Requests", 500: "Internal Server Error"}


class ApiError(Exception):
    def __init__(self, status, code, detail, pointer=None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.pointer = pointer

    def body(self):
        return error_body(self.status, self.code, self.detail, self.pointer)


def bad_request(detail, pointer=None):
    return ApiError(400, "bad_request", detail, pointer)


def error_body(status, code, detail, pointer=None):
    entry = {"status": status, "code": code, "title": TITLES[status], "detail": detail, "message": detail}
    if pointer is not None:
        entry["source"] = {"pointer": pointer}
    return json.dumps({"errors": [entry]}).encode()
