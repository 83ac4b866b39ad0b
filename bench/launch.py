"""Run one command and write its rusage as JSON: `python -I -S launch.py OUT TIMEOUT -- ARGV...`.

Why a separate launcher: Linux keeps a process's peak RSS across fork and exec, so a tap forked
straight from the bench process (which holds the simulator and every served body) would report the
bench's peak as its own. Forked from this tiny interpreter, the child starts near zero and its
ru_maxrss is its own. Kept to the standard library and run with -S so the launcher stays small.
"""
import json
import os
import signal
import sys
import time


def main():
    out, timeout, separator, *argv = sys.argv[1:]
    if separator != "--" or not argv:
        raise SystemExit("usage: launch.py OUT TIMEOUT -- ARGV...")
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)  # pylint: disable=protected-access
    timed_out = []

    def expire(_signum, _frame):
        timed_out.append(True)
        os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(max(1, int(float(timeout))))
    _, status, usage = os.wait4(pid, 0)
    signal.alarm(0)
    report = {"exit_code": os.waitstatus_to_exitcode(status), "timed_out": bool(timed_out),
              "wall": time.monotonic() - started, "utime": usage.ru_utime, "stime": usage.ru_stime,
              "maxrss_kb": usage.ru_maxrss}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
