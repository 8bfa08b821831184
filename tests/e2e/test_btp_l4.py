"""BackendTrafficPolicy on TCP and UDP routes, through a real Envoy: consistent hashing
on the client address keeps every connection (every UDP session) on one backend, and a
circuit breaker of one connection refuses a second one while the first is open."""
import socket

import pytest

from backends import (TcpEcho, UdpEcho, backend_ref, backend_resource, gateway, gateway_class,
                      udp_exchange)
from conftest import free_port, wait_for

POLICY_API = "gateway.envoyproxy.io/v1alpha1"


def tcp_route(name, section, *backends):
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": section}],
                     "rules": [{"backendRefs": [backend_ref(b) for b in backends]}]}}


def policy(name, route, spec, kind="TCPRoute"):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": kind,
                                     "name": route}], **spec}}


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def greeting(port, timeout=3.0):
    """The first line the backend sends on a new connection through Envoy ('' when
    Envoy closes the connection first)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        return s.makefile("rb").readline().strip().decode()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    a, b, single = TcpEcho("a"), TcpEcho("b"), TcpEcho("single")
    ua, ub = UdpEcho("ua"), UdpEcho("ub")
    for x in (a, b, single, ua, ub):
        module_cleanup.callback(x.close)
    server = standalone("btp-l4")
    plain, hashed, limited, udp = free_port(), free_port(), free_port(), free_udp_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "plain", "protocol": "TCP", "port": plain},
        {"name": "hashed", "protocol": "TCP", "port": hashed},
        {"name": "limited", "protocol": "TCP", "port": limited},
        {"name": "udp", "protocol": "UDP", "port": udp}])])
    server.write("backends.yaml", "".join(backend_resource(x.name, x.port)
                                          for x in (a, b, single, ua, ub)))
    server.write("routes.yaml", [tcp_route("plain", "plain", "a", "b"),
                                 tcp_route("hashed", "hashed", "a", "b"),
                                 tcp_route("limited", "limited", "single"),
                                 {**tcp_route("udp", "udp", "ua", "ub"), "kind": "UDPRoute"}])
    server.write("policies.yaml", [
        policy("hashed", "hashed", {"loadBalancer": {
            "type": "ConsistentHash", "consistentHash": {"type": "SourceIP"}}}),
        policy("limited", "limited", {"circuitBreaker": {"maxConnections": 1}}),
        policy("udp", "udp", {"loadBalancer": {
            "type": "ConsistentHash", "consistentHash": {"type": "SourceIP"}}}, kind="UDPRoute"),
    ])
    server.wait_until(lambda: greeting(limited, timeout=1) == "single", timeout=30,
                      what="TCP listeners")
    server.wait_until(lambda: greeting(hashed, timeout=1) in ("a", "b"), timeout=30,
                      what="TCP listeners")

    class G:
        pass
    g = G()
    g.plain, g.hashed, g.limited, g.udp = plain, hashed, limited, udp
    server.wait_until(lambda: udp_exchange(udp, b"hi", timeout=0.5), timeout=30,
                      what="the UDP listener")
    return g


def test_tcp_consistent_hash_on_source_ip(gw):
    assert len({greeting(gw.plain) for _ in range(12)}) == 2  # without it: both backends
    assert len({greeting(gw.hashed) for _ in range(12)}) == 1


def test_tcp_circuit_breaker_refuses_a_second_connection(gw):
    with socket.create_connection(("127.0.0.1", gw.limited), timeout=3) as first:
        assert first.makefile("rb").readline().strip() == b"single"
        assert greeting(gw.limited) == ""  # closed by Envoy: over the limit
    # once Envoy has closed the first upstream connection, there is room again
    wait_for(lambda: greeting(gw.limited, timeout=1) == "single", timeout=5,
             what="a connection after the first closed")


def test_udp_consistent_hash_on_source_ip(gw):
    """Each exchange comes from a new socket (a new UDP session): still one backend."""
    answers = {udp_exchange(gw.udp, b"hi", timeout=2) for _ in range(12)}
    assert None not in answers
    assert len({a.split(b":")[0] for a in answers}) == 1, answers
