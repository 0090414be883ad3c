"""The three-node Kafka of deploy/local/infra.sh (KAFKA_BROKERS=3): every topic on three nodes,
an acks=all write on at least two of them, and the services' own Kafka clients (civic146.kafka,
unchanged) going on through a partition leader killed with SIGKILL.

The cluster is started by the test on ports of its own: TEST_KAFKA_CLUSTER_PORT (nodes on it and
the next two ports, their controllers on the three after) and TEST_KAFKA_CLUSTER_MONGO_PORT (the
document server infra.sh starts beside it), or free ports when unset.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

from civic146 import mongo
from civic146.config import Settings
from civic146.kafka import ensure_topics, make_consumer, make_producer
from tests.helpers import JWT_SECRET, ROOT, RunningRelay, free_port, wait_until
from tests.processes import port_range

pytestmark = pytest.mark.infra

INFRA = ROOT / "deploy" / "local" / "infra.sh"
NODES = 3
TOPIC = "drill.numbers"
PARTITIONS = 3


def free_block(size: int) -> int:
    """The first of `size` consecutive ports nobody listens on, all in this test process's slice."""
    while True:
        base = free_port()
        if base + size > port_range().stop:
            continue
        ports = range(base, base + size)
        if all(_bindable(p) for p in ports[1:]):
            return base


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Cluster:
    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.base = int(os.environ.get("TEST_KAFKA_CLUSTER_PORT") or free_block(2 * NODES))
        mongo = os.environ.get("TEST_KAFKA_CLUSTER_MONGO_PORT") or str(free_port())
        self.mongo_uri = f"mongodb://127.0.0.1:{mongo}/"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "MONGO_")) and k != "RUN_DIR"
        }
        self.env.update(
            RUN_DIR=str(run_dir),
            KAFKA_BROKERS=str(NODES),
            KAFKA_PORT=str(self.base),
            KAFKA_PARTITIONS=str(PARTITIONS),
            KAFKA_TOPICS=TOPIC,
            MONGO_PORT=mongo,
            MONGO_BACKEND="memory",
            PYTHON=sys.executable,
        )
        self.bootstrap = ",".join(f"127.0.0.1:{self.base + i}" for i in range(NODES))

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([str(INFRA), *args], env=self.env, capture_output=True, text=True, timeout=240)
        if check:
            assert done.returncode == 0, f"infra.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def leader(self, topic: str, partition: int) -> int:
        return int(self.run("leader", topic, str(partition)).strip())

    def partitions(self, topic: str) -> dict[int, dict[str, list[int] | int]]:
        """{partition: {"leader": id, "replicas": [...], "isr": [...]}} as infra.sh prints them."""
        found = {}
        for line in self.run("partitions", topic).splitlines():
            _, p, _, leader, _, replicas, _, isr = line.split()
            found[int(p)] = {
                "leader": int(leader),
                "replicas": sorted(map(int, replicas.split(","))),
                "isr": sorted(map(int, isr.split(","))) if isr else [],
            }
        return found

    def wait_for_isr(self, topic: str, size: int, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = self.partitions(topic)
            if all(len(p["isr"]) == size for p in found.values()):
                return found
            assert time.monotonic() < deadline, f"ISR of {topic} never reached {size}: {found}"
            time.sleep(0.5)

    def settings(self) -> Settings:
        # What a service is given: only KAFKA_BOOTSTRAP changes, to the three addresses.
        return Settings(service_name="drill", jwt_secret="x" * 32, kafka_bootstrap=self.bootstrap)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("kafka-cluster") / "run")
    try:
        out = cluster.run("up")
        assert "kafka cluster ready: 3 nodes" in out and "rf 3" in out, out
        yield cluster
    finally:
        subprocess.run([str(INFRA), "down", "--wipe"], env=cluster.env, capture_output=True, timeout=120)


def produce(producer, numbers, key_of=lambda n: f"k{n % 7}") -> None:
    futures = [producer.send(TOPIC, key=key_of(n).encode(), value=str(n).encode()) for n in numbers]
    producer.flush(timeout=30)
    for f in futures:
        f.get(timeout=30)  # raises unless every send was acknowledged by the in-sync replicas


def read_to_end(bootstrap: str, topic: str) -> list:
    """Every record of the topic up to its end offsets now (a positive end, not a quiet period)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends, records = consumer.end_offsets(parts), []
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, f"{topic}: end offsets {ends} not reached"
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def read_all(bootstrap: str) -> list[int]:
    return [int(r.value) for r in read_to_end(bootstrap, TOPIC)]


def test_every_topic_and_the_internal_ones_have_three_replicas_and_need_two(cluster):
    found = cluster.partitions(TOPIC)
    assert sorted(found) == list(range(PARTITIONS))
    assert all(p["replicas"] == [1, 2, 3] and p["isr"] == [1, 2, 3] for p in found.values()), found

    # A consumer group's first commit creates __consumer_offsets: on three nodes too. (Assigned,
    # not subscribed: the commit needs the coordinator, not a finished rebalance.)
    consumer = KafkaConsumer(
        bootstrap_servers=cluster.bootstrap,
        group_id=f"rf-check-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
    )
    try:
        consumer.assign([TopicPartition(TOPIC, 0)])

        def committed() -> bool:
            try:
                consumer.commit({TopicPartition(TOPIC, 0): OffsetAndMetadata(0, "", -1)})
            except KafkaError:  # the coordinator is still being elected on the new offsets topic
                return False
            return True

        wait_until(committed, timeout=60, interval=0.5, message="a committed offset")
    finally:
        consumer.close()
    offsets = cluster.partitions("__consumer_offsets")
    assert offsets and all(p["replicas"] == [1, 2, 3] for p in offsets.values()), offsets

    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    try:

        def config(kind, name):
            found = admin.describe_configs([ConfigResource(kind, name)], config_filter="all")
            return {key: c["value"] for key, c in found[kind.name.lower()][name].items()}

        topic = config(ConfigResourceType.TOPIC, TOPIC)
        assert topic["min.insync.replicas"] == "2"
        assert topic["unclean.leader.election.enable"] == "false"
        broker = config(ConfigResourceType.BROKER, "1")
        assert broker["default.replication.factor"] == "3"
        assert broker["offsets.topic.replication.factor"] == "3"
        assert broker["transaction.state.log.replication.factor"] == "3"
        assert broker["transaction.state.log.min.isr"] == "2"
    finally:
        admin.close()


def test_the_services_clients_go_on_through_a_killed_partition_leader(cluster):
    settings = cluster.settings()
    producer = make_producer(settings, "drill-producer")
    try:
        produce(producer, range(0, 300))
        leader = cluster.leader(TOPIC, 0)
        assert leader in (1, 2, 3)
        cluster.run("node", str(leader), "kill")
        assert f"kafka-{leader}   stopped" in cluster.run("status", check=False)

        # Sent right after the kill: the producer finds the new leader, and acks=all is met by
        # the two replicas left (min.insync.replicas 2).
        produce(producer, range(300, 600))
        after = cluster.wait_for_isr(TOPIC, 2)
        assert all(leader not in p["isr"] and p["leader"] != leader for p in after.values()), after
        produce(producer, range(600, 700))
    finally:
        producer.close()

    # A group consumer of the kit reads every acknowledged number, once, with one node down.
    consumer = make_consumer(settings, f"drill-{uuid.uuid4().hex[:6]}", [TOPIC])
    seen: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 700 and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000).values():
                seen.extend(int(r.value) for r in records)
    finally:
        consumer.close()
    assert sorted(seen) == list(range(700))

    out = cluster.run("node", str(leader), "start")
    assert f"kafka-{leader} ready" in out
    # Back in every ISR, which Kafka grants a replica only once it has caught up with its leader.
    back = cluster.wait_for_isr(TOPIC, 3)
    assert all(p["isr"] == [1, 2, 3] for p in back.values()), back
    assert sorted(read_all(cluster.bootstrap)) == list(range(700))


INTAKE_REQUEST = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路损毁，坑洼严重",
    "community": "huifeng",
    "channel": "hotline",
    "submitter": {"name": "张三", "phone": "13812341234"},
}


def test_intake_runs_unchanged_and_loses_nothing_through_a_killed_leader(cluster, mint):
    """Intake's API and its outbox relay, given the three addresses as KAFKA_BOOTSTRAP and nothing
    else: every request acknowledged before, during and after the kill reaches intake.requests."""
    from intake.service import SERVICE

    settings = SERVICE.load_settings(
        kafka_bootstrap=cluster.bootstrap,
        mongodb_uri=cluster.mongo_uri,
        mongodb_db=f"cluster_{uuid.uuid4().hex[:8]}",
        topic_prefix=f"c{uuid.uuid4().hex[:6]}.",
        jwt_secret=JWT_SECRET,
    )
    topic = settings.topic("intake.requests")
    ensure_topics(settings, [topic, *(settings.topic(t) for t in SERVICE.worker_topics())])
    assert all(p["replicas"] == [1, 2, 3] for p in cluster.partitions(topic).values())
    app = SERVICE.create_app(settings)
    SERVICE.ensure_indexes()
    relay = RunningRelay(settings, SERVICE.collections(), app.extensions[SERVICE.name].outbox)
    client, resident = app.test_client(), mint("res-1", "resident")
    accepted: list[str] = []
    leader = None
    try:

        def submit(n: int) -> None:
            for _ in range(n):
                resp = client.post("/v1/requests", json=INTAKE_REQUEST, headers=resident)
                assert resp.status_code == 201, resp.json
                accepted.append(resp.json["id"])

        submit(20)
        leader = cluster.leader(topic, 0)
        cluster.run("node", str(leader), "kill")
        submit(20)  # the relay publishes these while partition 0 elects a new leader
        requests = mongo.connect(settings)["requests"]
        wait_until(
            lambda: requests.count_documents({"outbox.0": {"$exists": True}}) == 0,
            timeout=90,
            message="every outbox published",
        )
    finally:
        relay.close()
    subjects = [json.loads(r.value)["subject"] for r in read_to_end(cluster.bootstrap, topic)]
    assert set(subjects) == set(accepted) and len(accepted) == 40
    mongo.connect(settings).client.drop_database(settings.database)
    if leader is not None:
        cluster.run("node", str(leader), "start")
        cluster.wait_for_isr(topic, 3)


def test_acks_all_is_refused_rather_than_kept_on_one_node(cluster):
    """Both followers of a partition down: a write would have one copy, so it is not acknowledged
    (what happens to it afterwards is not promised: the leader may have appended it)."""
    cluster.wait_for_isr(TOPIC, 3)
    leader = cluster.leader(TOPIC, 0)
    first, second = (n for n in (1, 2, 3) if n != leader)
    cluster.run("node", str(first), "kill")
    cluster.run("node", str(second), "kill")
    # The kit's producer settings, with a delivery time-out short enough for a test.
    producer = KafkaProducer(
        bootstrap_servers=cluster.bootstrap,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=4000,
        delivery_timeout_ms=12000,
    )
    try:
        future = producer.send(TOPIC, key=b"k", value=b"-1", partition=0)
        with pytest.raises(KafkaError):
            future.get(timeout=30)
    finally:
        try:
            producer.close(timeout=5)
        except KafkaError:  # the refused record is still pending: closing gives it up
            pass
    settings = cluster.settings()

    with ThreadPoolExecutor(2) as both:  # each node's start waits for its JVM: side by side
        list(both.map(lambda node: cluster.run("node", str(node), "start"), (first, second)))
    cluster.wait_for_isr(TOPIC, 3)
    producer = make_producer(settings, "drill-again")
    try:
        produce(producer, [700])
    finally:
        producer.close()
    assert 700 in read_all(cluster.bootstrap)
