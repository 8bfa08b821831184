"""What the EnvoyExtensionPolicy end-to-end suites share: a standalone server
with Lua enabled, routes and policies as the suites write them, and the
policy's Accepted condition as our server reports it."""
import http.client

from backends import backend_ref

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"


def start_server(standalone, name):
    """A standalone server whose EnvoyGateway config also enables Lua
    (extensionApis.enableLua), as a user turning the feature on would."""
    return standalone(name, config="  enableLua: true\n")


def http_route(name, hostname, backend="echo"):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def extension_policy(name, route, spec):
    return {"apiVersion": POLICY_API, "kind": "EnvoyExtensionPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": route}], **spec}}


def request(port, host, path="/", headers=None, timeout=5.0, method="GET", body=None):
    """(status, {lower-case header: value}, body) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def accepted(server, kind, name):
    """The Accepted condition of a policy on its first ancestor (a dict), or None."""
    for item in server.admin_json("/api/status")["resources"]:
        if item["kind"] == kind and item["name"] == name:
            for a in (item.get("status") or {}).get("ancestors") or []:
                for c in a.get("conditions") or []:
                    if c["type"] == "Accepted":
                        return c
    return None
