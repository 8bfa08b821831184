"""Fixtures of the Kubernetes-mode tests: one real API server per session (see
k8s_harness.py), a controller per test with its own controller name and
infrastructure namespace so tests never see each other's objects."""
import os
import uuid

import pytest

import k8s_harness as h


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    c = h.Cluster(tmp_path_factory.mktemp("k8s"))
    yield c
    c.close()


@pytest.fixture
def kube(cluster):
    return cluster.kube


@pytest.fixture
def eg_bin():
    b = h.build_dir() / "envoy-gateway"
    if not b.exists():
        raise AssertionError(f"{b} is not built")
    return b


@pytest.fixture
def env_ids():
    """Unique names for one test: controller name, namespaces."""
    u = uuid.uuid4().hex[:8]
    return {"controller": f"example.com/test-{u}", "ns": f"app-{u}", "infra": f"eg-{u}",
            "class": f"eg-{u}", "id": u}


@pytest.fixture
def controllers(cluster, eg_bin, tmp_path):
    started = []

    def make(ids, watch="", name="controller", extension_apis=(), extra=""):
        c = h.Controller(eg_bin, cluster, tmp_path / name, ids["controller"], ids["infra"],
                         watch=watch, name=name, extension_apis=extension_apis, extra=extra)
        started.append(c)
        return c
    yield make
    for c in started:
        c.stop()
