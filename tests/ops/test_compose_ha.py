"""docker-compose.ha.yml, the override for three Kafka nodes and a MongoDB replica set, checked by
docker-compose itself (`config`: there is no engine here to run it) and read as data."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.helpers import ROOT
from tests.ops.promql import platform_services
from tests.ops.test_compose import ENV_EXAMPLE, SECRETS

HA = ROOT / "docker-compose.ha.yml"
KAFKA_NODES = ("kafka", "kafka-2", "kafka-3")
MONGO_MEMBERS = ("mongo", "mongo-2", "mongo-3")


def ha_config(env_file) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: `make test` installs it (apt-get install docker-compose)")
    env = {k: v for k, v in os.environ.items() if k not in (*SECRETS, "MONGO_REPLICA_KEY")}
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", "docker-compose.yml", "-f", str(HA), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def ha(tmp_path_factory) -> dict:
    env = tmp_path_factory.mktemp("ha") / ".env"
    env.write_text(ENV_EXAMPLE.read_text() + "MONGO_REPLICA_KEY=c2hhcmVkLWtleS1vZi10aGUtbWVtYmVycw\n")
    result = ha_config(env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_replica_key_is_required_by_name(tmp_path):
    env = tmp_path / ".env"
    env.write_text(ENV_EXAMPLE.read_text())
    result = ha_config(env)
    assert result.returncode != 0 and "MONGO_REPLICA_KEY" in result.stderr


def test_three_kafka_nodes_form_one_quorum_with_three_copies_of_everything(ha):
    services = ha["services"]
    envs = [services[n]["environment"] for n in KAFKA_NODES]
    assert [int(e["KAFKA_NODE_ID"]) for e in envs] == [1, 2, 3]
    for name, e in zip(KAFKA_NODES, envs):
        assert e["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert e["CLUSTER_ID"] == envs[0]["CLUSTER_ID"]
        assert f"INTERNAL://{name}:9092" in e["KAFKA_ADVERTISED_LISTENERS"]
        for key in (
            "KAFKA_DEFAULT_REPLICATION_FACTOR",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        ):
            assert str(e[key]) == "3", (name, key)
        for key in (
            "KAFKA_MIN_INSYNC_REPLICAS",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
        ):
            assert str(e[key]) == "2", (name, key)
        assert e["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
    init = services["kafka-init"]
    assert str(init["environment"]["KAFKA_REPLICATION_FACTOR"]) == "3"
    assert set(init["depends_on"]) == set(KAFKA_NODES)
    assert (
        '--replication-factor "$REPLICATION"' in (ROOT / "deploy" / "kafka" / "create-topics.sh").read_text()
    )


def test_the_mongo_members_share_a_key_and_one_set_is_made(ha):
    services = ha["services"]
    for name in MONGO_MEMBERS:
        script = services[name]["entrypoint"][-1]
        assert "--replSet rs0" in script and "--keyFile /etc/mongo-replica.key" in script, name
        assert services[name]["environment"]["MONGO_REPLICA_KEY"] == "c2hhcmVkLWtleS1vZi10aGUtbWVtYmVycw"
    init = services["mongo-replica-init"]
    assert set(init["depends_on"]) == set(MONGO_MEMBERS)
    made = init["entrypoint"][-1]
    assert all(f"host: '{m}:27017'" in made for m in MONGO_MEMBERS)


def test_every_service_runs_unchanged_against_every_node(ha):
    services = ha["services"]
    for name in platform_services():
        for process in ("api", "worker"):
            svc = services[f"{name}-{process}"]
            env = svc["environment"]
            assert env["SERVICE_NAME"] == name
            assert env["KAFKA_BOOTSTRAP"] == "kafka:9092,kafka-2:9092,kafka-3:9092"
            assert "@mongo:27017,mongo-2:27017,mongo-3:27017/" in env["MONGODB_URI"]
            assert "replicaSet=rs0" in env["MONGODB_URI"]
            assert svc["depends_on"]["mongo-replica-init"]["condition"] == "service_completed_successfully"
            assert svc["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"


def test_every_long_running_container_has_a_healthcheck_a_restart_policy_and_a_volume(ha):
    services = ha["services"]
    declared = set(ha.get("volumes", {}))
    one_shot = {"kafka-init", "mongo-replica-init"}
    for name, svc in services.items():
        if name in one_shot:
            assert svc.get("restart") in (None, "no"), name
            continue
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert svc.get("restart") in ("unless-stopped", "always", "on-failure"), name
        for dep, cond in (svc.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dep in one_shot else "service_healthy"
            assert cond["condition"] == expected, (name, dep)
    for name in (*KAFKA_NODES, *MONGO_MEMBERS):
        sources = [v.split(":")[0] for v in services[name].get("volumes", [])]
        assert len([s for s in sources if s in declared]) == 1, (name, sources)
    all_sources = [v.split(":")[0] for n in (*KAFKA_NODES, *MONGO_MEMBERS) for v in services[n]["volumes"]]
    assert len(set(all_sources)) == 6, "each node keeps its data in a volume of its own"
