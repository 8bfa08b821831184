"""Local stand-ins for the conformance suite's echo-basic pods, on loopback.

One `EchoPod` plays one Deployment of the manifests. What it serves follows the
Deployment's environment, as echo-basic does:
- HTTP mode (default): HTTP/1.1 echo on the pod's port 3000 (also WebSocket on /ws),
  the same on 3001, which also speaks HTTP/2 cleartext with prior knowledge (h2c, with
  the `h2` package) as echo-basic's h2c port does, and
  HTTPS on 8443 when a certificate is mounted (TLS_SERVER_CERT);
- gRPC mode (GRPC_ECHO_SERVER): the GrpcEcho service on 3000 (h2c), and over TLS on
  8443 when a certificate is mounted;
- TCP mode (TCP_ECHO_SERVER): the line protocol on 3000, and over TLS on 8443;
- UDP mode (UDP_ECHO_SERVER): a JSON answer per datagram on 8080;
- DNS (the coredns Deployment): a minimal answer per query on 53/UDP.

Every server listens on a free loopback port; `ports` maps the pod's port (the
Service's targetPort) to it. Every HTTP echo is recorded in `seen` so a test can
tell that a mirrored request arrived.

"""
import base64
import hashlib
import http.server
import json
import random
import socket
import socketserver
import ssl
import string
import struct
import threading
import time
import urllib.parse

GRPC_SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"


def pod_name(deployment):
    """A Kubernetes-like pod name: the Deployment name, a template hash, a suffix."""
    rnd = random.Random(deployment)
    hash_ = "".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))
    suffix = "".join(rnd.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    return f"{deployment}-{hash_}-{suffix}"


def parse_duration(text):
    """'1s', '500ms', '2m' -> seconds (0 when malformed)."""
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
    for unit, scale in units:
        if text.endswith(unit):
            try:
                return float(text[: -len(unit)]) * scale
            except ValueError:
                return 0.0
    try:
        return float(text)
    except ValueError:
        return 0.0


def cert_info(sock):
    """The `tls` object of an echo answer for a TLS socket."""
    peer = sock.getpeercert(binary_form=True)
    return {"version": sock.version(), "serverName": getattr(sock, "_cf_sni", "") or "",
            "negotiatedProtocol": sock.selected_alpn_protocol() or "",
            "cipherSuite": (sock.cipher() or [""])[0],
            "peerCertificates": [ssl.DER_cert_to_PEM_cert(peer)] if peer else []}


def server_tls_context(cert, key, client_ca=None, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    if client_ca:
        ctx.load_verify_locations(cafile=str(client_ca))
        ctx.verify_mode = ssl.CERT_OPTIONAL
    if alpn:
        ctx.set_alpn_protocols(alpn)

    def remember_sni(sslsock, name, _ctx):
        sslsock._cf_sni = name
    ctx.sni_callback = remember_sni
    return ctx


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class _Threaded(socketserver.ThreadingMixIn):
    daemon_threads = True
    allow_reuse_address = True


class _TLSHTTPServer(_Threaded, http.server.HTTPServer):
    """An HTTP server whose accepted sockets are wrapped in TLS, in the handler thread."""

    def __init__(self, addr, handler, tls, h2c=None):
        self.tls = tls
        self.h2c = h2c  # a callable serving an HTTP/2 prior-knowledge connection
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        if self.h2c is not None:
            request.settimeout(5)
            try:
                head = request.recv(len(H2_PREFACE), socket.MSG_PEEK | socket.MSG_WAITALL)
            except OSError:
                head = b""
            request.settimeout(None)
            if head == H2_PREFACE:
                return self.h2c(request)
        if self.tls is not None:
            request.settimeout(5)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                request.close()
                return
            request.settimeout(None)
        self.RequestHandlerClass(request, client_address, self)


class EchoPod:
    """One Deployment of the conformance manifests, served from loopback (or from
    `address`, the pod IP the Kubernetes-mode replay gives it)."""

    def __init__(self, namespace, deployment, env, certs=None, service_names=(),
                 address="127.0.0.1"):
        self.address = address
        self.namespace = namespace
        self.deployment = deployment
        self.pod = pod_name(deployment)
        self.env = env
        self.service = env.get("SERVICE_NAME") or (service_names[0] if service_names else "")
        self.seen = []  # (path, method, headers) of every HTTP echo
        self.lock = threading.Lock()
        self.retries = {}
        self.ports = {}  # pod port -> loopback port
        self.tcp_ports = set()
        self._closers = []
        tls = certs  # (cert, key, client_ca or None) when a certificate is mounted
        if deployment == "coredns":
            self.ports[53] = self._udp(self._dns_answer)
        elif env.get("UDP_ECHO_SERVER"):
            self.ports[8080] = self._udp(self._udp_answer)
        elif env.get("TCP_ECHO_SERVER"):
            self.ports[3000] = self._tcp(None)
            if tls:
                self.ports[8443] = self._tcp(server_tls_context(*tls))
        elif env.get("GRPC_ECHO_SERVER"):
            self.ports[3000] = self._grpc(None)
            if tls:
                self.ports[8443] = self._grpc(tls)
        else:
            self.ports[3000] = self._http(None)
            self.ports[3001] = self._http(None, h2c=True)
            if tls:
                self.ports[8443] = self._http(server_tls_context(*tls, alpn=["http/1.1"]))

    # ---- HTTP ----

    def _http(self, tls, h2c=False):
        pod = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                if url.path == "/ws" and self.headers.get("upgrade", "").lower() == "websocket":
                    return pod._websocket(self)
                headers = {}
                for k, v in self.headers.items():
                    headers.setdefault(k.title() if k.lower() != "host" else "Host", []).append(v)
                headers.pop("Host", None)
                with pod.lock:
                    pod.seen.append((self.path, self.command, headers))
                status = 200
                if url.path.startswith("/status/"):
                    try:
                        status = int(url.path.split("/")[2])
                    except ValueError:
                        status = 400
                if url.path.startswith("/retry"):
                    uuid = (query.get("uuid") or [""])[0]
                    after = int((query.get("succeedAfter") or ["0"])[0] or 0)
                    with pod.lock:
                        n = pod.retries[uuid] = pod.retries.get(uuid, 0) + 1
                    if n <= after:
                        delay = parse_duration((query.get("delayRetry") or ["0"])[0])
                        if delay:
                            time.sleep(delay)
                        if "responseCode" not in query:  # a connection error: TCP reset
                            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                       struct.pack("ii", 1, 0))
                            self.close_connection = True
                            self.connection.close()
                            return
                        status = int(query["responseCode"][0])
                if "delay" in query:
                    time.sleep(parse_duration(query["delay"][0]))
                answer = {"path": self.path, "host": self.headers.get("host", ""),
                          "method": self.command, "proto": self.request_version,
                          "headers": headers, "namespace": pod.namespace, "ingress": "",
                          "service": pod.service, "pod": pod.pod,
                          "httpPort": str(self.server.server_address[1])}
                if isinstance(self.connection, ssl.SSLSocket):
                    answer["tls"] = cert_info(self.connection)
                body = json.dumps(answer).encode() if status < 300 else b""
                self.send_response(status)
                for pair in (self.headers.get("x-echo-set-header") or "").split(","):
                    name, sep, value = pair.partition(":")
                    if sep and name.strip():
                        self.send_header(name.strip(), value.strip())
                if body:
                    self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_one
            do_CONNECT = do_TRACE = handle_one

        srv = _TLSHTTPServer((self.address, 0), Handler, tls, self._h2c if h2c else None)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self._closers.append(lambda: (srv.shutdown(), srv.server_close()))
        self.tcp_ports.add(srv.server_address[1])
        return srv.server_address[1]

    def _h2c(self, sock):
        """One HTTP/2 cleartext connection (prior knowledge), as echo-basic's h2c
        port: every request is echoed as JSON with proto HTTP/2.0."""
        import h2.config
        import h2.connection
        import h2.events
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        requests = {}
        try:
            sock.sendall(conn.data_to_send())
            while True:
                data = sock.recv(65535)
                if not data:
                    return
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        requests[ev.stream_id] = ev.headers
                    elif isinstance(ev, h2.events.DataReceived):
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        self._h2c_answer(conn, ev.stream_id, requests.pop(ev.stream_id, []))
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        return
                sock.sendall(conn.data_to_send())
        except (OSError, ValueError):
            return
        finally:
            sock.close()

    def _h2c_answer(self, conn, stream_id, pairs):
        pseudo = {k: v for k, v in pairs if k.startswith(":")}
        headers = {}
        for k, v in pairs:
            if not k.startswith(":"):
                headers.setdefault(k.title(), []).append(v)
        path = pseudo.get(":path", "/")
        with self.lock:
            self.seen.append((path, pseudo.get(":method", "GET"), headers))
        body = json.dumps({"path": path, "host": pseudo.get(":authority", ""),
                           "method": pseudo.get(":method", "GET"), "proto": "HTTP/2.0",
                           "headers": headers, "namespace": self.namespace, "ingress": "",
                           "service": self.service, "pod": self.pod}).encode()
        conn.send_headers(stream_id, [(":status", "200"), ("content-type", "application/json"),
                                      ("content-length", str(len(body)))])
        conn.send_data(stream_id, body, end_stream=True)

    def _websocket(self, h):
        key = h.headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        h.send_response(101)
        h.send_header("Upgrade", "websocket")
        h.send_header("Connection", "Upgrade")
        h.send_header("Sec-WebSocket-Accept", accept)
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        try:
            while True:
                opcode, payload = ws_read_frame(h.rfile)
                if opcode == 8:
                    ws_write_frame(h.wfile, 8, payload, mask=False)
                    return
                if opcode in (1, 2):
                    ws_write_frame(h.wfile, opcode, payload, mask=False)
        except (OSError, EOFError, ValueError):
            return

    # ---- TCP ----

    def _tcp(self, tls):
        pod = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                sock = self.request
                is_tls = False
                if tls is not None:
                    sock.settimeout(5)
                    try:
                        sock = tls.wrap_socket(sock, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                    sock.settimeout(None)
                    is_tls = True
                f = sock.makefile("rwb")
                try:
                    f.write(b"Gateway API Test TCP Server\n")
                    f.flush()
                    for line in f:
                        cmd = line.strip().decode(errors="replace")
                        if cmd == "PING":
                            out = "PONG"
                        elif cmd == "IS_TLS":
                            out = "true" if is_tls else "false"
                        elif cmd == "TEST":
                            info = {"namespace": pod.namespace, "pod": pod.pod,
                                    "service": pod.service, "isTLS": is_tls}
                            if is_tls:
                                info["tls"] = cert_info(sock)
                            out = json.dumps(info)
                        else:
                            out = cmd
                        f.write(out.encode() + b"\n")
                        f.flush()
                except (OSError, ValueError):
                    pass

        class Server(_Threaded, socketserver.TCPServer):
            pass

        srv = Server((self.address, 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self._closers.append(lambda: (srv.shutdown(), srv.server_close()))
        self.tcp_ports.add(srv.server_address[1])
        return srv.server_address[1]

    # ---- UDP ----

    def _udp(self, answer):
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                out = answer(data)
                if out is not None:
                    sock.sendto(out, self.client_address)

        class Server(_Threaded, socketserver.UDPServer):
            pass

        srv = Server((self.address, 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self._closers.append(lambda: (srv.shutdown(), srv.server_close()))
        return srv.server_address[1]

    def _udp_answer(self, data):
        return json.dumps({"request": data.decode(errors="replace"), "namespace": self.namespace,
                           "service": self.service, "pod": self.pod}).encode()

    @staticmethod
    def _dns_answer(query):
        """The query back as a response with no answer (NOERROR): enough to show a reply."""
        if len(query) < 12:
            return None
        flags = struct.unpack("!H", query[2:4])[0] | 0x8080
        return query[:2] + struct.pack("!H", flags) + query[4:6] + b"\0\0\0\0\0\0" + query[12:]

    # ---- gRPC ----

    def _grpc(self, tls):
        import grpc
        from concurrent import futures

        pod = self

        def method(name):
            def answer(request, context):
                md = {}
                for k, v in context.invocation_metadata():
                    md.setdefault(k, []).append(v if isinstance(v, str) else v.decode())
                authority = (md.get(":authority") or [""])[0]
                try:
                    authority = authority or context.peer()
                except Exception:
                    pass
                return json.dumps({"fullyQualifiedMethod": f"/{GRPC_SERVICE}/{name}",
                                   "authority": (md.pop(":authority", [""]) or [""])[0],
                                   "headers": md, "context": {"namespace": pod.namespace,
                                                              "pod": pod.pod}}).encode()
            return grpc.unary_unary_rpc_method_handler(
                answer, request_deserializer=lambda b: b, response_serializer=lambda b: b)

        handler = grpc.method_handlers_generic_handler(
            GRPC_SERVICE, {m: method(m) for m in ("Echo", "EchoTwo", "EchoThree")})
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                             options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers((handler,))
        if tls is None:
            port = server.add_insecure_port(f"{self.address}:0")
        else:
            cert, key, _ca = tls
            creds = grpc.ssl_server_credentials(
                [(open(key, "rb").read(), open(cert, "rb").read())])
            port = server.add_secure_port(f"{self.address}:0", creds)
        server.start()
        self._closers.append(lambda: server.stop(0))
        self.tcp_ports.add(port)
        return port

    def seen_since(self, mark):
        with self.lock:
            return list(self.seen[mark:])

    def close(self):
        for c in self._closers:
            try:
                c()
            except Exception:
                pass


# ---- WebSocket frames (RFC 6455), for the /ws echo and the client ----

def _read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError("connection closed")
    return data


def ws_read_frame(f):
    b0, b1 = _read_exact(f, 2)
    opcode, masked, n = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _read_exact(f, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _read_exact(f, 8))[0]
    mask = _read_exact(f, 4) if masked else None
    payload = bytearray(_read_exact(f, n))
    if mask:
        for i in range(n):
            payload[i] ^= mask[i % 4]
    return opcode, bytes(payload)


def ws_write_frame(f, opcode, payload, mask=True):
    head = bytes([0x80 | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if mask:
        key = bytes(random.getrandbits(8) for _ in range(4))
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    f.write(head + payload)
    f.flush()
