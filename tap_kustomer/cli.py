"""main(): parse arguments, run discovery or sync, and turn every known failure into one clear line."""
import argparse
import gc
import logging
import os
import signal
import sys
import time

import orjson

from . import __version__
from .about import render
from .catalog import load_catalog_file
from .check import preflight
from .client import KustomerClient
from .config import load_config_file, parse_config, read_config_file
from .discover import discover
from .errors import Interrupted, TapError
from .org_metadata import read_org_metadata
from .output import SingerWriter
from .state import load_state_file, normalise_state
from .summary import METRICS_LOGGER, log_summary
from .sync import Sync

LOGGER = logging.getLogger("tap_kustomer")
# How soon a wait notices a stop request.
STOP_POLL_SECONDS = 0.25


class RedactingFilter(logging.Filter):
    """Last line of defence: no log line may carry the token, whatever put it there."""

    def __init__(self, secret):
        super().__init__()
        self.secret = secret

    def filter(self, record):
        if self.secret:
            text = record.getMessage()
            if self.secret in text:
                record.msg, record.args = text.replace(self.secret, "***"), ()
        return True


def build_parser():
    parser = argparse.ArgumentParser(prog="tap-kustomer", description="Singer tap for Kustomer")
    parser.add_argument("-c", "--config", help="config JSON file")
    parser.add_argument("-d", "--discover", action="store_true", help="print the catalog and exit")
    parser.add_argument("--catalog", help="catalog JSON file with the selected streams")
    parser.add_argument("-p", "--properties", help="deprecated name for --catalog")
    parser.add_argument("-s", "--state", help="state JSON file (the last STATE value of a previous run); with "
                        "--check, what the next sync from it reads")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="log warnings, errors and the summary's METRIC line only")
    parser.add_argument("--about", action="store_true", help="print name, version, capabilities, settings")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="output format of --about")
    parser.add_argument("--check", action="store_true",
                        help="pre-flight: verify token, region and each selected stream's permission")
    parser.add_argument("--version", action="version", version=f"tap-kustomer {__version__}")
    return parser


class StopSignals:
    """The first SIGTERM/SIGINT asks for a stop at the next safe point; the second stops at once."""

    def __init__(self):
        self.reason = None

    def install(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum, _frame):
        name = signal.Signals(signum).name
        if self.reason:
            LOGGER.critical("stopped by a second %s; the last STATE line is still valid", name)
            logging.shutdown()
            os._exit(128 + signum)  # pylint: disable=protected-access
        self.reason = name
        LOGGER.warning("%s received: stopping after the current page", name)

    def __call__(self):
        return self.reason

    def sleep(self, seconds):
        """time.sleep for the client's waits (budget resets, retries), cut short by a stop request: a wait
        for a request the run will not make only delays the stop, perhaps until a scheduler's SIGKILL."""
        deadline = time.monotonic() + seconds
        while not self.reason:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, STOP_POLL_SECONDS))
        raise Interrupted(self.reason)


def configure_logging(quiet):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    METRICS_LOGGER.setLevel(logging.INFO)
    # urllib3 logs every retry with the full URL at WARNING; our client says it better once.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    return handler


def relax_cycle_collector():
    """A sync allocates a few dozen dicts per record, all freed by reference counting: records hold no
    cycles. At the default threshold the cycle collector still scans every 700 allocations, about 14% of
    the tap's CPU (bench/README.md). Freezing what startup built and collecting rarely removes that."""
    gc.freeze()
    gc.set_threshold(100_000, 20, 100)


def run(args, handler):
    if args.about:
        print(render(args.format))
        return 0
    if args.discover:
        sys.stdout.buffer.write(orjson.dumps(discover_org(args.config, handler), option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    if not args.config:
        raise TapError("--config is required (see config.sample.json)")
    config = load_config_file(args.config)
    handler.addFilter(RedactingFilter(config.api_token.value))
    catalog_path = args.catalog or args.properties
    if args.check:
        return preflight(config, load_catalog_file(catalog_path) if catalog_path else None,
                         load_state_file(args.state) if args.state else normalise_state({}))
    if not catalog_path:
        raise TapError("nothing to do: pass --discover, or --catalog CATALOG to sync the selected streams")
    selections = load_catalog_file(catalog_path)
    state = load_state_file(args.state) if args.state else normalise_state({})
    if not selections:
        LOGGER.warning("no stream is selected in %s; mark streams with \"selected\": true", catalog_path)
    stop = StopSignals()
    stop.install()
    relax_cycle_collector()
    client = KustomerClient(config, sleep=stop.sleep)
    sync = Sync(config, selections, state, client, SingerWriter(), stop_requested=stop)
    try:
        sync.run()
    finally:
        client.close()
        log_summary(sync.summaries, sync.drift, client.pacer.slept, client.stats.requests)
    return 0


def discover_org(config_path, handler):
    """The catalog with the org's klass streams and typed custom attributes, read through the sync's own
    client; the static catalog, and one warning line saying why, when the org cannot be read (no config or
    token, a rejected token, a host out of reach). A config file that is missing or not JSON is an error."""
    data = read_config_file(config_path) if config_path else None
    try:
        if data is None:
            raise TapError("no --config given")
        config = parse_config(data)
        handler.addFilter(RedactingFilter(config.api_token.value))
        # Retries are detail here: the one warning below says why discovery fell back, if it does.
        client = KustomerClient(config, retry_log=logging.INFO)
        started = time.monotonic()
        try:
            org = read_org_metadata(client)
        finally:
            client.close()
    except TapError as exc:
        LOGGER.warning("discovery could not read the org (%s): printing the static catalog, without a stream per "
                       "klass and with custom attributes untyped; fix that and run --discover again", exc)
        return discover()
    LOGGER.info("discovery read %d klasses and the custom attributes of %d resources in %.1f s (%d requests)",
                len(org.klasses), len(org.attributes), time.monotonic() - started, client.stats.requests)
    return discover(org)


def main(argv=None):
    args = build_parser().parse_args(argv)
    handler = configure_logging(args.quiet)
    try:
        return run(args, handler)
    except Interrupted as exc:
        LOGGER.critical("%s", exc)
        return exc.exit_code
    except TapError as exc:
        LOGGER.critical("%s", exc)
        return exc.exit_code
    except BrokenPipeError:
        LOGGER.critical("the target stopped reading our output (broken pipe); check the target's own error")
        return 1
    except KeyboardInterrupt:
        LOGGER.critical("interrupted; the last STATE line is still valid")
        return 130
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Whatever slipped past the checks still ends in one line, and the handler's filter redacts it.
        LOGGER.critical("unexpected %s: %s; the last STATE line is still valid. This is a bug in tap-kustomer: "
                        "please report it with this line", type(exc).__name__, exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
