"""The API key's roles, read once before a sync: a role Kustomer may answer with an empty 200 instead of
a 403 (which it does is not documented) would otherwise leave a stream silently incomplete."""
import logging
import re

from .errors import AccessDenied, ApiUnavailable, AuthError, Interrupted, TapError

LOGGER = logging.getLogger("tap_kustomer")
TOKEN_PATH = "/v1/auth/tokens/current"


def _object(permission):
    """`org.permission.customer.read` → `customer`."""
    return permission.split(".")[2]


def granted(roles, permission):
    """Any of the role forms Kustomer has used for reading the object: permission-set or legacy."""
    pattern = re.compile(rf"^org\.(permission|user|admin)\.{re.escape(_object(permission))}\.read$")
    return any(isinstance(role, str) and pattern.match(role) for role in roles)


def check_roles(client, streams):
    """Stop, naming the role, before reading a stream whose read role the key lacks. When the key's roles
    cannot be read, say so and go on: a missing role then shows as a 403 or 401 on the stream itself. A
    rejected token or a host that never answered stops here: no stream could be read either."""
    try:
        attributes = (client.get(TOKEN_PATH).get("data") or {}).get("attributes") or {}
    except TapError as exc:
        if isinstance(exc, (AuthError, Interrupted)) or (isinstance(exc, ApiUnavailable) and not client.contacted):
            raise
        LOGGER.info("cannot read the API key's roles (%s); a role missing for a stream shows when it is read", exc)
        return
    roles = attributes.get("roles")
    if not isinstance(roles, list) or not roles:
        LOGGER.info("the API key's roles are not listed; a role missing for a stream shows when it is read")
        return
    missing = [stream for stream in streams if not granted(roles, stream.permission)]
    if missing:
        names = ", ".join(f"stream {stream.name} ({stream.permission})" for stream in missing)
        raise AccessDenied(f"the API key's roles (GET {TOKEN_PATH}) lack the read role of {names}; grant it to "
                           f"the key's role, or deselect the stream")
