"""Real backends for the end-to-end traffic tests, all on loopback, each on a free
port, each in its own daemon threads: an HTTP echo server (optionally over TLS),
a TCP echo server, a UDP echo server, a gRPC server with raw-bytes handlers, and
the certificates they need (made with the openssl CLI at test time).

Every server here has `port`, `name` and `close()`, and says who it is in every
answer so a test can tell which backend Envoy picked."""
import http.server
import ipaddress
import json
import pathlib
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse
from concurrent import futures


def joined_headers(pairs):
    """{lower-case name: value}, repeated headers joined with ", " as HTTP allows."""
    out = {}
    for k, v in pairs:
        k = k.lower()
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


class HttpEcho:
    """Answers every request with JSON: its name, the method, path, query, headers
    and body it received, and an `x-backend: <name>` response header.

    What it does is steered two ways:
    - per request, by headers: `x-echo-delay: <seconds>` before answering,
      `x-echo-status: <code>` as the status;
    - per server, by `fail_next(n, status)`: the next n requests get `status`
      (or, with status "reset", a TCP reset instead of an answer).
    Every request is recorded in `requests` (dicts, as in the JSON answer).
    `address` and `port` are where it listens (127.0.0.1, a free port by default)."""

    def __init__(self, name, tls_context=None, address="127.0.0.1", port=0):
        self.name = name
        self.requests = []
        self._lock = threading.Lock()
        self._failures = []
        echo = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def handle_any(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                seen = {"backend": echo.name, "method": self.command, "path": self.path,
                        "query": urllib.parse.parse_qs(url.query),
                        "headers": joined_headers(self.headers.items()),
                        "body": body.decode(errors="replace")}
                with echo._lock:
                    echo.requests.append(seen)
                    status = echo._failures.pop(0) if echo._failures else 200
                if status == "reset":  # fail_next(n, "reset"): a TCP RST, no answer
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                delay = float(self.headers.get("x-echo-delay") or 0)
                if delay:
                    time.sleep(delay)
                status = int(self.headers.get("x-echo-status") or status)
                out = json.dumps(seen).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("x-backend", echo.name)
                    self.send_header("content-length", str(len(out)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the proxy gave up on us (timeouts): nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_next(self, n, status=503):
        with self._lock:
            self._failures = [status] * n

    def clear(self):
        with self._lock:
            self.requests.clear()
            self._failures = []

    def seen(self, predicate=lambda r: True):
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class TcpEcho:
    """Sends `<name>\\n` when a connection opens, then echoes every byte back."""

    def __init__(self, name):
        self.name = name
        self.connections = 0
        lock = threading.Lock()
        echo = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with lock:
                    echo.connections += 1
                self.request.sendall(echo.name.encode() + b"\n")
                while True:
                    data = self.request.recv(65536)
                    if not data:
                        return
                    self.request.sendall(data)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class UdpEcho:
    """Answers every datagram with `<name>:` followed by the datagram."""

    def __init__(self, name):
        self.name = name
        self.datagrams = 0
        lock = threading.Lock()
        echo = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                with lock:
                    echo.datagrams += 1
                sock.sendto(echo.name.encode() + b":" + data, self.client_address)

        self.server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class GrpcEcho:
    """A real gRPC server (grpcio) with raw-bytes handlers, so no generated code:
    every unary method of the services given answers with
    `<name> <full method> <request bytes>` and puts `x-backend` in the initial
    metadata. Methods not listed answer UNIMPLEMENTED, as any gRPC server does."""

    def __init__(self, name, methods):
        import grpc  # imported here so modules without gRPC tests need not have it

        self.name = name
        self.calls = []
        echo = self
        by_service = {}
        for full in methods:  # "/pkg.Service/Method"
            service, method = full.lstrip("/").split("/")
            by_service.setdefault(service, []).append(method)

        def unary(full):
            def answer(request, context):
                echo.calls.append((full, dict(context.invocation_metadata())))
                context.send_initial_metadata((("x-backend", echo.name),))
                return f"{echo.name} {full} ".encode() + request
            return grpc.unary_unary_rpc_method_handler(answer)

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        for service, names in by_service.items():
            handlers = {m: unary(f"/{service}/{m}") for m in names}
            self.server.add_generic_rpc_handlers(
                (grpc.method_handlers_generic_handler(service, handlers),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def close(self):
        self.server.stop(0)


class Certs:
    """A throwaway CA and the certificates it signs, made with the openssl CLI."""

    def __init__(self, directory, name="Test CA"):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_key = self.dir / "ca.key"
        self.ca_cert = self.dir / "ca.crt"
        self._issued = 0
        self._run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                  "-subj", f"/CN={name}", "-keyout", self.ca_key, "-out", self.ca_cert,
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    @staticmethod
    def _run(*args):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    def issue(self, cn, dns_names):
        """Returns (cert path, key path) for a new server certificate for `dns_names`
        (a new key and serial each time, even for the same name); a name that is an
        IP address becomes an IP SAN."""
        self._issued += 1
        stem = f"{cn}.{self._issued}"
        key, csr, cert, ext = (self.dir / f"{stem}.{e}" for e in ("key", "csr", "crt", "ext"))

        def san(name):
            try:
                ipaddress.ip_address(name)
                return f"IP:{name}"
            except ValueError:
                return f"DNS:{name}"
        ext.write_text("subjectAltName=" + ",".join(san(d) for d in dns_names)
                       + "\nextendedKeyUsage=serverAuth\n")
        self._run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
                  "-keyout", key, "-out", csr)
        self._run("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                  "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
        return cert, key

    def client_context(self):
        """A client context that trusts only this CA and checks host names."""
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def server_context(self, cert, key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        return ctx


def backend_resource(name, port, namespace="default"):
    """An Envoy Gateway `Backend` pointing at a server on loopback."""
    return f"""\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: {name}
  namespace: {namespace}
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {port}
"""


def udp_exchange(port, payload, timeout=1.0):
    """Sends one datagram to 127.0.0.1:port and returns the answer (or None)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recvfrom(65536)[0]
        except socket.timeout:
            return None


# --- the resources the tests write to point the gateway at these servers ------------------

GATEWAY_API = "gateway.networking.k8s.io/v1"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"


def gateway_class(name="eg"):
    return {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": name},
            "spec": {"controllerName": CONTROLLER}}


def gateway(name, listeners, class_name="eg", namespace="default"):
    return {"apiVersion": GATEWAY_API, "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"gatewayClassName": class_name, "listeners": listeners}}


def backend_ref(name, **extra):
    """A backendRef to a `Backend` made by backend_resource()."""
    return {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name, **extra}


def tls_secret(name, cert, key, namespace="default"):
    """A kubernetes.io/tls Secret holding a certificate and key made by Certs.issue()."""
    import base64

    def b64(p):
        return base64.b64encode(pathlib.Path(p).read_bytes()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"tls.crt": b64(cert), "tls.key": b64(key)}}
