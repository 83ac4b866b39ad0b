"""Custom attributes an admin adds while the simulator runs: `Simulator.add_custom_attribute`.

In Kustomer a new custom attribute shows up on records as they are written from then on, and old record
versions never had it. So adding one here updates the records it is given to (their updatedAt moves, so
an incremental sync reads them again), and each of them carries the value from that version on; a
lagging search index that still serves an older version serves it without. The org's metadata does not
list the attribute: a catalog discovered before it was added is exactly what a tap then syncs with.
"""

# The streams whose resources have a `custom` block (records.py).
CUSTOM_STREAMS = ("customers", "conversations", "messages", "companies", "kobjects")


def add(store, stream, name, value, count):
    """Updates `count` records of `stream` now (all of them when None); their versions from this update on
    carry `custom[name] = value`. Returns their ids."""
    if stream not in CUSTOM_STREAMS:
        raise ValueError(f"{stream!r} records have no custom block; choose from {', '.join(CUSTOM_STREAMS)}")
    # One hold of the store's (reentrant) lock: no page is rendered between the update and the addition.
    with store.lock:
        ids = store.mutate(stream, store.count(stream) if count is None else count)
        for id_ in ids:
            record = store.record(stream, id_)
            record.custom_added = record.custom_added + ((record.rev, name, value),)
    return ids


def apply(resource, added, rev):
    """Puts the attributes `added` ((first rev, name, value), ...) that version `rev` carries into `resource`."""
    custom = resource["attributes"]["custom"]
    for first_rev, name, value in added:
        if rev >= first_rev:
            custom[name] = value
