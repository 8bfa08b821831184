"""A small SDS server for the end-to-end tests: Envoy's SecretDiscoveryService
(StreamSecrets, state of the world) over gRPC on a Unix socket, serving the
certificates and CAs a test puts in it and pushing every change to the
Envoys connected.

The message classes come from the descriptor set our codec embeds
(`pbtool descriptors`), loaded into a private descriptor pool, and the service
is a generic gRPC handler: nothing generated, nothing shared with other tests
that import Envoy's Python protos."""
import queue
import subprocess
import threading
from concurrent import futures

SERVICE = "envoy.service.secret.v3.SecretDiscoveryService"
SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"


def message_classes(pbtool):
    """{full name: class} of the messages the server speaks, from pbtool's descriptor set."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    out = subprocess.run([str(pbtool), "descriptors"], check=True, capture_output=True).stdout
    files = descriptor_pb2.FileDescriptorSet()
    files.ParseFromString(out)
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)
    names = ("envoy.service.discovery.v3.DiscoveryRequest",
             "envoy.service.discovery.v3.DiscoveryResponse",
             "envoy.extensions.transport_sockets.tls.v3.Secret")
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(n)) for n in names}


class SdsServer:
    """Serves named secrets on `unix:<socket_path>`. `set_certificate` and `set_ca`
    add or replace one and push the new set to every open stream; `requests`
    records (resource names, version_info, response_nonce, error message) of every
    DiscoveryRequest received, so a test can see what Envoy asked for and ACKed."""

    def __init__(self, socket_path, pbtool):
        import grpc

        classes = message_classes(pbtool)
        self._request = classes["envoy.service.discovery.v3.DiscoveryRequest"]
        self._response = classes["envoy.service.discovery.v3.DiscoveryResponse"]
        self._secret = classes["envoy.extensions.transport_sockets.tls.v3.Secret"]
        self._lock = threading.Lock()
        self._secrets = {}  # name -> serialized Secret
        self._version = 0
        self._streams = []  # one queue per open stream
        self.requests = []
        handler = grpc.method_handlers_generic_handler(SERVICE, {
            "StreamSecrets": grpc.stream_stream_rpc_method_handler(
                self._stream, request_deserializer=self._request.FromString,
                response_serializer=lambda m: m.SerializeToString())})
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers((handler,))
        self.server.add_insecure_port(f"unix:{socket_path}")
        self.server.start()

    # --- what the tests change ---

    def set_certificate(self, name, cert_path, key_path):
        """Serves `name` as a tls_certificate (PEM chain and key read from the files)."""
        s = self._secret(name=name)
        s.tls_certificate.certificate_chain.inline_bytes = open(cert_path, "rb").read()
        s.tls_certificate.private_key.inline_bytes = open(key_path, "rb").read()
        self._publish(name, s)

    def set_ca(self, name, ca_path):
        """Serves `name` as a validation_context trusting the PEM CA in the file."""
        s = self._secret(name=name)
        s.validation_context.trusted_ca.inline_bytes = open(ca_path, "rb").read()
        self._publish(name, s)

    def _publish(self, name, secret):
        with self._lock:
            self._secrets[name] = secret.SerializeToString()
            self._version += 1
            for q in self._streams:
                q.put("push")

    def asked_for(self, name):
        """Whether some stream asked for `name`."""
        with self._lock:
            return any(name in r[0] for r in self.requests)

    def acked(self, name, version=None):
        """Whether Envoy acknowledged a response holding `name` (at `version`, if given)
        without an error."""
        with self._lock:
            v = str(version if version is not None else self._version)
            return any(name in names and ver == v and nonce and not err
                       for names, ver, nonce, err in self.requests)

    @property
    def version(self):
        with self._lock:
            return self._version

    # --- the gRPC stream ---

    def _stream(self, request_iterator, context):
        q = queue.Queue()
        with self._lock:
            self._streams.append(q)

        def read():
            try:
                for r in request_iterator:
                    q.put(r)
            except Exception:  # the stream ended from Envoy's side
                pass
            q.put(None)
        threading.Thread(target=read, daemon=True).start()
        context.add_callback(lambda: q.put(None))
        names, sent_version, nonce = [], None, 0
        try:
            while True:
                item = q.get()
                if item is None:
                    return
                if item != "push":
                    with self._lock:
                        self.requests.append((list(item.resource_names), item.version_info,
                                              item.response_nonce, item.error_detail.message))
                    is_ack = item.response_nonce == str(nonce) and not item.error_detail.message
                    names = list(item.resource_names)
                    if is_ack and sent_version == self.version:
                        continue
                with self._lock:
                    version = self._version
                    found = [(n, self._secrets[n]) for n in names if n in self._secrets]
                nonce += 1
                response = self._response(version_info=str(version), type_url=SECRET_TYPE,
                                          nonce=str(nonce))
                for _, data in found:
                    response.resources.add(type_url=SECRET_TYPE, value=data)
                sent_version = version
                yield response
        finally:
            with self._lock:
                self._streams.remove(q)

    def close(self):
        self.server.stop(0)
