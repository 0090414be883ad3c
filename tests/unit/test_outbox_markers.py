"""The marker writer: every marker added from many threads is written, several per insert, and
flush() returns only once they all are (a fake database: the real one is in tests/integration)."""

import threading

from civic146.outbox import PENDING, MarkerWriter


class FakeDatabase:
    def __init__(self):
        self.inserts: list[list[dict]] = []

    def __getitem__(self, name):
        assert name == PENDING
        return self

    def insert_many(self, markers, ordered):
        self.inserts.append(list(markers))


class FakeCollection:
    def __init__(self, database, name="requests"):
        self.database, self.name = database, name


def test_markers_from_many_threads_are_all_written_in_few_inserts():
    db, writer = FakeDatabase(), MarkerWriter()
    threads = [
        threading.Thread(target=lambda t=t: [writer.add(FakeCollection(db), f"{t}-{i}") for i in range(500)])
        for t in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert writer.flush(timeout=10)
    written = [m["doc"] for batch in db.inserts for m in batch]
    assert sorted(written) == sorted(f"{t}-{i}" for t in range(4) for i in range(500))
    assert {m["collection"] for batch in db.inserts for m in batch} == {"requests"}
    assert len(db.inserts) < len(written)  # batched


def test_flush_waits_for_a_marker_still_being_written():
    release = threading.Event()

    class SlowDatabase(FakeDatabase):
        def insert_many(self, markers, ordered):
            release.wait(5)
            super().insert_many(markers, ordered)

    db, writer = SlowDatabase(), MarkerWriter()
    writer.add(FakeCollection(db), "a")
    assert writer.flush(timeout=0.2) is False
    release.set()
    assert writer.flush(timeout=5) and db.inserts == [[{"collection": "requests", "doc": "a"}]]
