"""BackendTrafficPolicy settings of the upstream connection, through a real Envoy:

- `http2`: the SETTINGS frame Envoy sends a backend that speaks HTTP/2 (h2c) carries
  the policy's stream window and concurrent-stream limit (an h2 server here records
  what it receives);
- `tcpKeepalive`: Envoy's connection to the backend runs the kernel's keepalive timer
  with the policy's idle time (read with `ss`, as an operator would);
- `dns`: a backend named by hostname is resolved with the policy's refresh rate, TTL
  handling and address family (the cluster Envoy holds says so), and is served.
"""
import re
import socket
import subprocess
import threading

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

from backends import HttpEcho, backend_ref, gateway, gateway_class
from conftest import free_port, http_get

POLICY_API = "gateway.envoyproxy.io/v1alpha1"


class H2cServer:
    """An HTTP/2 cleartext server that answers 200 "h2" to every request and keeps
    the SETTINGS each client connection sent."""

    def __init__(self):
        self.settings = []
        self.connection_window_updates = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        h2c.initiate_connection()
        try:
            conn.sendall(h2c.data_to_send())
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for ev in h2c.receive_data(data):
                    if isinstance(ev, h2.events.RemoteSettingsChanged):
                        self.settings.append({k: v.new_value
                                              for k, v in ev.changed_settings.items()})
                    elif isinstance(ev, h2.events.WindowUpdated) and ev.stream_id == 0:
                        self.connection_window_updates.append(ev.delta)
                    elif isinstance(ev, h2.events.RequestReceived):
                        h2c.send_headers(ev.stream_id, [(":status", "200"),
                                                        ("content-type", "text/plain")])
                        h2c.send_data(ev.stream_id, b"h2", end_stream=True)
                conn.sendall(h2c.data_to_send())
        except (OSError, h2.exceptions.ProtocolError):
            return
        finally:
            conn.close()

    def close(self):
        self.closed = True
        self.sock.close()


def route(name, host, backend):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def policy(name, target, spec):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": target}], **spec}}


def backend(name, endpoint, app_protocols=None):
    spec = {"endpoints": [endpoint]}
    if app_protocols:
        spec["appProtocols"] = app_protocols
    return {"apiVersion": POLICY_API, "kind": "Backend",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    h2srv, plain, named = H2cServer(), HttpEcho("keepalive"), HttpEcho("named")
    for x in (h2srv, plain, named):
        module_cleanup.callback(x.close)
    server = standalone("btp-cluster")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", [
        backend("h2", {"ip": {"address": "127.0.0.1", "port": h2srv.port}},
                ["gateway.envoyproxy.io/h2c"]),
        backend("keepalive", {"ip": {"address": "127.0.0.1", "port": plain.port}}),
        backend("named", {"fqdn": {"hostname": "localhost", "port": named.port}}),
    ])
    server.write("routes.yaml", [route("h2", "h2.example.com", "h2"),
                                 route("keepalive", "keepalive.example.com", "keepalive"),
                                 route("named", "named.example.com", "named")])
    server.write("policies.yaml", [
        policy("h2", "h2", {"http2": {"initialStreamWindowSize": "128Ki",
                                      "initialConnectionWindowSize": "1Mi",
                                      "maxConcurrentStreams": 7}}),
        policy("keepalive", "keepalive", {"tcpKeepalive": {"probes": 4, "idleTime": "1h",
                                                           "interval": "9s"}}),
        policy("named", "named", {"dns": {"dnsRefreshRate": "7s", "respectDnsTtl": True,
                                          "lookupFamily": "IPv4"}}),
    ])
    for host in ("h2.example.com", "keepalive.example.com", "named.example.com"):
        server.wait_until(lambda h=host: http_get(port, "/", host=h)[0] == 200, timeout=30,
                          what=f"{host} served")

    class G:
        pass
    g = G()
    g.server, g.port, g.h2, g.plain, g.named = server, port, h2srv, plain, named
    return g


def clusters(gw):
    (fleet,) = gw.server.envoy_admins()
    dump = gw.server.envoy_config_dump(fleet)
    return {c["cluster"]["name"]: c["cluster"] for cfg in dump["configs"]
            for c in cfg.get("dynamic_active_clusters", [])}


def test_http2_settings_reach_the_backend_in_envoys_settings_frame(gw):
    status, _, body = http_get(gw.port, "/", host="h2.example.com")
    assert (status, body) == (200, b"h2")
    assert gw.h2.settings, "the backend saw no SETTINGS from Envoy"
    sent = gw.h2.settings[0]
    # each stream's window is initialStreamWindowSize: 128 KiB (the reference gives
    # Envoy the connection window here)
    assert sent.get(h2.settings.SettingCodes.INITIAL_WINDOW_SIZE) == 128 * 1024
    assert sent.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS) == 7
    # the connection's window grows from HTTP/2's 65,535 bytes to initialConnectionWindowSize
    assert gw.h2.connection_window_updates[:1] == [1024 * 1024 - 65535]


def keepalive_timers(backend_port):
    """The keepalive timers (seconds left) of established connections to the port."""
    out = subprocess.run(["ss", "-tnoH", "state", "established", "dport", f"= :{backend_port}"],
                         capture_output=True, text=True, timeout=10).stdout
    return [int(m.group(1)) for m in re.finditer(r"timer:\(keepalive,(?:(\d+)min|[\d.]+sec)",
                                                 out) if m.group(1)]


def test_tcp_keepalive_runs_on_envoys_connection_to_the_backend(gw):
    status, _, body = http_get(gw.port, "/", host="keepalive.example.com")
    assert status == 200
    # idleTime 1h: the kernel's keepalive timer on Envoy's upstream socket counts down
    # from 60 minutes (ss prints it in whole minutes)
    timers = keepalive_timers(gw.plain.port)
    assert timers and all(55 <= t <= 60 for t in timers), timers
    cluster = [c for n, c in clusters(gw).items() if "keepalive" in n][0]
    assert cluster["upstream_connection_options"]["tcp_keepalive"] == {
        "keepalive_probes": 4, "keepalive_time": 3600, "keepalive_interval": 9}


def test_dns_settings_resolve_a_named_backend(gw):
    status, _, _ = http_get(gw.port, "/", host="named.example.com")
    assert status == 200
    cluster = [c for n, c in clusters(gw).items() if "named" in n][0]
    dns = cluster["cluster_type"]["typed_config"]
    assert dns["dns_refresh_rate"] == "7s"
    assert dns["respect_dns_ttl"] is True
    assert dns["dns_lookup_family"] == "V4_ONLY"


def test_a_backend_without_the_policy_keeps_envoys_defaults(gw):
    """Control: the settings above come from the policies, not from defaults."""
    by_name = clusters(gw)
    h2c = [c for n, c in by_name.items() if "/h2/" in n][0]
    assert "upstream_connection_options" not in h2c
    keepalive = [c for n, c in by_name.items() if "keepalive" in n][0]
    assert "cluster_type" not in keepalive
