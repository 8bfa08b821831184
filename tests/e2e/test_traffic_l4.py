"""Layer-4 routes through a real Envoy programmed by our standalone server:
TCPRoute to a TCP echo server and UDPRoute to a UDP echo server, each on its own
Gateway listener."""
import socket
import threading

import pytest

from backends import (TcpEcho, UdpEcho, backend_ref, backend_resource, gateway, gateway_class,
                      udp_exchange)
from conftest import free_port, wait_for


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_session(port, payloads, timeout=3.0):
    """Connects, reads the greeting line, sends each payload and reads its echo."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        f = s.makefile("rb")
        greeting = f.readline().strip().decode()
        echoes = []
        for p in payloads:
            s.sendall(p)
            echoes.append(f.read(len(p)))
        return greeting, echoes


def l4_route(kind, name, section, *refs):
    refs = [backend_ref(r) if isinstance(r, str) else r for r in refs]
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": kind,
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": section}],
                     "rules": [{"backendRefs": refs}]}}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    tcp, udp = TcpEcho("tcp-echo"), UdpEcho("udp-echo")
    heavy, light = TcpEcho("heavy"), TcpEcho("light")
    udp_heavy, udp_light, udp_never = UdpEcho("udp-heavy"), UdpEcho("udp-light"), UdpEcho("udp-never")
    udps = (udp_heavy, udp_light, udp_never)
    for b in (tcp, udp, heavy, light) + udps:
        module_cleanup.callback(b.close)
    server = standalone("l4")
    tcp_port, udp_port, weighted_port = free_port(), free_udp_port(), free_port()
    udp_weighted_port = free_udp_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "tcp", "protocol": "TCP", "port": tcp_port},
        {"name": "udp", "protocol": "UDP", "port": udp_port},
        {"name": "tcp-weighted", "protocol": "TCP", "port": weighted_port},
        {"name": "udp-weighted", "protocol": "UDP", "port": udp_weighted_port}])])
    server.write("backends.yaml", "".join(backend_resource(b.name, b.port)
                                          for b in (tcp, udp, heavy, light) + udps))
    server.write("routes.yaml", [
        l4_route("TCPRoute", "tcp", "tcp", "tcp-echo"),
        l4_route("UDPRoute", "udp", "udp", "udp-echo"),
        l4_route("TCPRoute", "weighted", "tcp-weighted", backend_ref("heavy", weight=3),
                 backend_ref("light", weight=1)),
        l4_route("UDPRoute", "udp-weighted", "udp-weighted", backend_ref("udp-heavy", weight=3),
                 backend_ref("udp-light", weight=1), backend_ref("udp-never", weight=0))])

    class Gw:
        pass
    g = Gw()
    g.server, g.tcp, g.udp, g.tcp_port, g.udp_port = server, tcp, udp, tcp_port, udp_port
    g.weighted_port, g.udp_weighted_port, g.udps = weighted_port, udp_weighted_port, udps
    try:
        server.wait_until(lambda: tcp_session(tcp_port, [b"ping"])[0] == "tcp-echo",
                          timeout=30, what="the TCP listener")
        server.wait_until(lambda: udp_exchange(udp_port, b"ping", timeout=0.3),
                          timeout=5, what="the UDP listener")
    except AssertionError:
        pass  # each test reports what does not work
    return g


def test_tcp_route_echo(gw):
    greeting, echoes = tcp_session(gw.tcp_port, [b"hello\n", b"x" * 100_000, b"bye"])
    assert greeting == "tcp-echo"
    assert echoes == [b"hello\n", b"x" * 100_000, b"bye"]


def test_tcp_route_concurrent_connections(gw):
    before = gw.tcp.connections
    results, errors = [], []

    def one(i):
        try:
            results.append(tcp_session(gw.tcp_port, [f"conn-{i}".encode()]))
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(e[0] for _, e in results) == sorted(f"conn-{i}".encode() for i in range(10))
    assert gw.tcp.connections - before == 10


def test_udp_route_echo(gw):
    # UDP may drop a datagram: retry a few times, but every answer must be the echo.
    answer = wait_for(lambda: udp_exchange(gw.udp_port, b"hello udp", timeout=0.5),
                      timeout=5, what="a UDP answer")
    assert answer == b"udp-echo:hello udp"
    big = bytes(range(256)) * 4
    answer = wait_for(lambda: udp_exchange(gw.udp_port, big, timeout=0.5), timeout=5,
                      what="a 1 KiB UDP answer")
    assert answer == b"udp-echo:" + big


def test_tcp_route_weighted_backends(gw):
    counts = {"heavy": 0, "light": 0}
    for _ in range(80):
        counts[tcp_session(gw.weighted_port, [])[0]] += 1
    # 3:1 → 60/20 expected; ±12 is three standard deviations.
    assert abs(counts["heavy"] - 60) <= 12, counts


def test_udp_route_weights(gw):
    # Each datagram from a new source port is a new UDP session, placed by weight:
    # 3:1 between heavy and light, never on the weight-0 backend.
    wait_for(lambda: udp_exchange(gw.udp_weighted_port, b"ping", timeout=0.5), timeout=10,
             what="the weighted UDP listener")
    counts = {}
    for i in range(200):
        answer = wait_for(lambda: udp_exchange(gw.udp_weighted_port, b"w%d" % i, timeout=0.5),
                          timeout=5, what="a weighted UDP answer")
        name = answer.split(b":")[0].decode()
        counts[name] = counts.get(name, 0) + 1
    assert counts.get("udp-never", 0) == 0, counts
    share = counts.get("udp-heavy", 0) / 200
    assert 0.62 <= share <= 0.88, counts
