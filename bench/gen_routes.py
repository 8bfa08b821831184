#!/usr/bin/env python3
"""Generates a scale-test input for `egctl x translate`: one GatewayClass,
G Gateways, N HTTPRoutes spread over them, and the Services and EndpointSlices
the routes point at, as one multi-document YAML stream.

The output depends only on the arguments (no randomness, no clock), so two
runs compare byte for byte.

    bench/gen_routes.py [--routes 10000] [--gateways 100] [--services N]
                        [--policies] [-o FILE]

With --policies every Gateway also gets one BackendTrafficPolicy (timeout,
retry, circuit breaker, local rate limit) and one ClientTrafficPolicy
(timeouts, client IP detection, headers, TCP keepalive), the shape a real
deployment has, to measure what policies cost the translation.
"""
import argparse
import sys

NAMESPACES = 10  # routes and services are spread over this many namespaces


def gateway_class():
    return """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
"""


def namespace(i):
    return f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: apps-{i}
"""


def gateway(g):
    # an HTTP listener for plain traffic and one per gateway for its own domain;
    # routes from every namespace may attach
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw-{g}
  namespace: gateways
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
    allowedRoutes:
      namespaces:
        from: All
  - name: http-domain
    protocol: HTTP
    port: 8080
    hostname: "*.gw-{g}.example.com"
    allowedRoutes:
      namespaces:
        from: All
"""


def service(s):
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: svc-{s}
  namespace: apps-{s % NAMESPACES}
spec:
  selector:
    app: svc-{s}
  ports:
  - name: http
    port: 80
    targetPort: 8080
    protocol: TCP
"""


def endpoint_slice(s):
    base = s % 250
    addresses = "".join(
        f"""\
- addresses:
  - 10.{(s >> 8) & 255}.{base}.{k + 1}
  conditions:
    ready: true
""" for k in range(3))
    return f"""\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-{s}-abcde
  namespace: apps-{s % NAMESPACES}
  labels:
    kubernetes.io/service-name: svc-{s}
addressType: IPv4
ports:
- name: http
  port: 8080
  protocol: TCP
endpoints:
{addresses}"""


def http_route(r, gateways, services):
    # the common shape: one host, one path prefix, one backend; every tenth
    # route also splits traffic to a canary in the next namespace
    g = r % gateways
    s = r % services
    ns = s % NAMESPACES  # a route lives next to its service
    canary = ""
    if r % 10 == 0:
        c = (s + 1) % services
        canary = f"""\
  - matches:
    - path:
        type: Exact
        value: /canary
    backendRefs:
    - name: svc-{s}
      port: 80
      weight: 90
    - name: svc-{c}
      namespace: apps-{c % NAMESPACES}
      port: 80
      weight: 10
"""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-{r}
  namespace: apps-{ns}
spec:
  parentRefs:
  - name: gw-{g}
    namespace: gateways
  hostnames:
  - route-{r}.gw-{g}.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /api/v{r % 3 + 1}
    backendRefs:
    - name: svc-{s}
      port: 80
{canary}"""


def reference_grants():
    # routes reach services in other namespaces for their canary rule
    out = []
    for i in range(NAMESPACES):
        out.append(f"""\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: allow-routes
  namespace: apps-{i}
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: apps-{(i + NAMESPACES - 1) % NAMESPACES}
  to:
  - group: ""
    kind: Service
""")
    return out


def backend_traffic_policy(g):
    return f"""\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: gw-{g}-traffic
  namespace: gateways
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: gw-{g}
  timeout:
    http:
      requestTimeout: 15s
  retry:
    numRetries: 2
    retryOn:
      triggers: ["connect-failure", "retriable-status-codes"]
      httpStatusCodes: [503]
  circuitBreaker:
    maxConnections: 2048
    maxPendingRequests: 512
  rateLimit:
    type: Local
    local:
      rules:
      - limit:
          requests: 1000
          unit: Second
"""


def client_traffic_policy(g):
    return f"""\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata:
  name: gw-{g}-client
  namespace: gateways
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: gw-{g}
  timeout:
    http:
      requestReceivedTimeout: 10s
      idleTimeout: 60s
  clientIPDetection:
    xForwardedFor:
      numTrustedHops: 1
  headers:
    withUnderscoresAction: DropHeader
    preserveXRequestID: true
  tcpKeepalive:
    probes: 3
    idleTime: 60s
    interval: 10s
"""


def documents(routes, gateways, services, policies=False):
    yield gateway_class()
    yield """\
apiVersion: v1
kind: Namespace
metadata:
  name: gateways
"""
    for i in range(NAMESPACES):
        yield namespace(i)
    for g in range(gateways):
        yield gateway(g)
        if policies:
            yield backend_traffic_policy(g)
            yield client_traffic_policy(g)
    yield from reference_grants()
    for s in range(services):
        yield service(s)
        yield endpoint_slice(s)
    for r in range(routes):
        yield http_route(r, gateways, services)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--routes", type=int, default=10000)
    ap.add_argument("--gateways", type=int, default=100)
    ap.add_argument("--services", type=int, default=None,
                    help="number of Services (default: routes / 10, at least 1)")
    ap.add_argument("--policies", action="store_true",
                    help="one BackendTrafficPolicy and one ClientTrafficPolicy per Gateway")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args()
    if args.routes < 0 or args.gateways < 1:
        ap.error("--routes must be >= 0 and --gateways >= 1")
    services = args.services if args.services is not None else max(1, args.routes // 10)
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    with out:
        out.write("---\n".join(documents(args.routes, args.gateways, max(1, services),
                                         args.policies)))


if __name__ == "__main__":
    main()
