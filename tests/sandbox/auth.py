"""API keys: JWT-looking bearer tokens, and the 401/403 answers the real API gives."""
import base64
import json
import secrets
from dataclasses import dataclass, field

from .catalog import read_role
from .errors import ApiError


@dataclass(frozen=True)
class TokenSpec:
    """What a key can do. `denied` names search contexts ("conversation"), list names ("users") or
    "search" (no search role at all) the key's roles do not cover; keys' roles cannot be edited."""
    pod: str = "prod1"
    expired: bool = False
    denied: frozenset = field(default_factory=frozenset)


def make_token(pod="prod1"):
    """A fresh, long, unique JWT-shaped key, so a grep of logs/output for it is a meaningful leak check."""
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"org": secrets.token_hex(12), "user": secrets.token_hex(12), "pod": pod,
               "jti": secrets.token_hex(16), "roles": ["org.permission.search.create"]}
    return ".".join((_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()),
                     _b64(secrets.token_bytes(32))))


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Authenticator:
    def __init__(self, tokens, pod, wrong_pod_status=401):
        self._tokens = dict(tokens)
        self._pod = pod
        self._wrong_pod_status = wrong_pod_status

    def authenticate(self, authorization):
        """The key's spec, or a 401 whose detail is what Kustomer says for that failure."""
        scheme, _, token = (authorization or "").partition(" ")
        spec = self._tokens.get(token) if scheme == "Bearer" else None
        if spec is None:
            raise ApiError(401, "unauthorized", "Invalid token")
        if spec.expired:
            raise ApiError(401, "unauthorized", "Expired token")
        if spec.pod != self._pod:
            raise ApiError(self._wrong_pod_status, "unauthorized",
                           f"Auth token associated with pod {spec.pod} but request is being handled by {self._pod}")
        return spec


def authorize(spec, resource, missing_role="403"):
    """True when the key may read `resource`. A denied read is a 403 (or 401) naming the missing role, or,
    with missing_role="filtered", False: the caller answers as if there were nothing to read."""
    if resource not in spec.denied:
        return True
    if missing_role == "filtered":
        return False
    role = "org.permission.search.create" if resource == "search" else read_role(resource)
    detail = f"Access denied: API key is missing the required role {role}"
    if missing_role == "401":
        raise ApiError(401, "unauthorized", detail)
    raise ApiError(403, "forbidden", detail)
