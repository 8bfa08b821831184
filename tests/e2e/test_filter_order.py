"""EnvoyProxy filterOrder through a real Envoy: a route whose BackendTrafficPolicy both
aborts every request (fault injection, 418) and allows one request a minute (local rate
limit). In the default order the fault filter runs first, so every request gets the 418;
on a Gateway whose EnvoyProxy puts the local rate limit before the fault filter, the
second request already meets the limit (429)."""
from backends import HttpEcho, backend_ref, backend_resource, gateway
from conftest import free_port
from hardening_util import status_of

GATEWAY_API = "gateway.networking.k8s.io/v1"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"


def gateway_class(name, envoy_proxy=None):
    spec = {"controllerName": CONTROLLER}
    if envoy_proxy:
        spec["parametersRef"] = {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                 "name": envoy_proxy, "namespace": "default"}
    return {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": name},
            "spec": spec}


def route(name, gw, host):
    return {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": gw}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def abort_and_limit(name, route_name):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": route_name}],
                     "faultInjection": {"abort": {"httpStatus": 418}},
                     "rateLimit": {"type": "Local", "local": {"rules": [
                         {"limit": {"requests": 1, "unit": "Minute"}}]}}}}


def test_filter_order_puts_the_rate_limit_before_the_fault(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("filter-order")
    plain_port, ordered_port = free_port(), free_port()
    server.write("all.yaml", [
        gateway_class("eg"),
        gateway_class("ordered", "ordered"),
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
         "metadata": {"name": "ordered", "namespace": "default"},
         "spec": {"filterOrder": [{"name": "envoy.filters.http.local_ratelimit",
                                   "before": "envoy.filters.http.fault"}]}},
        gateway("plain", [{"name": "http", "protocol": "HTTP", "port": plain_port}]),
        gateway("ordered", [{"name": "http", "protocol": "HTTP", "port": ordered_port}],
                class_name="ordered"),
        route("plain", "plain", "plain.example"),
        route("ordered", "ordered", "ordered.example"),
        abort_and_limit("plain", "plain"),
        abort_and_limit("ordered", "ordered"),
    ])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.wait_until(lambda: status_of(plain_port, "plain.example")[0] == 418
                      and status_of(ordered_port, "ordered.example")[0] in (418, 429),
                      timeout=30, what="both Gateways served")
    # default order: the fault answers before the rate limit counts anything
    assert [status_of(plain_port, "plain.example")[0] for _ in range(3)] == [418] * 3
    # local_ratelimit before fault: the minute's one request was spent above
    assert [status_of(ordered_port, "ordered.example")[0] for _ in range(3)] == [429] * 3
    assert not echo.seen(), "the backend must never be reached"
