"""The tap's exception family: each one carries a single line a user can act on."""
import signal


class TapError(Exception):
    """A failure the CLI reports as one line and a non-zero exit, without a traceback."""

    exit_code = 1


class ConfigError(TapError):
    exit_code = 2


class CatalogError(TapError):
    exit_code = 2


class StateError(TapError):
    exit_code = 2


class AuthError(TapError):
    """The API refused the token (401): wrong, expired, or issued for another pod."""

    exit_code = 3


class AccessDenied(TapError):
    """The token is valid but its role cannot read a resource (403)."""

    exit_code = 3


class BadRequest(TapError):
    """A 400 from the API: our request was refused and retrying cannot help."""

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.detail = detail


class ApiUnavailable(TapError):
    """Retries are exhausted, or the host cannot be reached."""

    exit_code = 4


class Interrupted(TapError):
    """A signal asked the tap to stop; the last STATE covers exactly what was emitted. The exit code is the
    one a shell gives a process the signal ended, 128 plus its number: 130 for SIGINT, 143 for SIGTERM."""

    def __init__(self, reason):
        super().__init__(f"stopped by {reason}; the last STATE covers everything emitted, "
                         f"run again with it to resume")
        self.exit_code = 128 + signal.Signals[reason].value


class WalkError(TapError):
    """The search cannot be walked without losing records (for example a tie larger than the cap)."""

    exit_code = 5
