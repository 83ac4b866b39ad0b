"""The JSON floor as the tap would meet it: `python floor_child.py BODIES`, prints CPU seconds.

A fresh interpreter, set up like the tap (its cycle-collector settings), reads the length-prefixed
bodies from BODIES and parses each once with json.loads, dropping each document at once as a tap does.
Only the parsing is timed.
"""
import json
import struct
import sys
import time

from tap_kustomer.cli import relax_cycle_collector


def main():
    bodies = []
    with open(sys.argv[1], "rb") as handle:
        while header := handle.read(4):
            bodies.append(handle.read(struct.unpack("<I", header)[0]))
    relax_cycle_collector()
    started = time.process_time()
    for body in bodies:
        document = json.loads(body)
        del document
    print(time.process_time() - started)


if __name__ == "__main__":
    main()
