"""The Gateway API conformance suite, replayed against our standalone gateway.

The suite's tests are data (../shared/reference/gateway-api-conformance/expectations.yaml
and the manifests beside it). For each test this module:
1. builds the resource set: the base manifests plus the test's, adapted to a gateway
   that runs on one machine (`adapt`): Deployments become local echo pods (echo.py),
   each Service gets an EndpointSlice to 127.0.0.1 and the port of the pod that plays
   it, the certificates the suite generates at run time are generated here, every
   Gateway listener port is moved to a free loopback port (several Gateways listen on
   80 in the manifests, and Envoys on one address would share it), and every object
   gets a metadata.generation as the API server would give it;
2. writes it into the server's watched directory and waits until /api/status shows it;
3. checks the status assertions, then sends each request to the Envoy of its Gateway
   and checks the answer (`Runner`).

A result is a list of check outcomes; the first failing one is the test's verdict."""
import base64
import copy
import json
import os
import pathlib
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid as uuidlib

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from testkit import free_port  # noqa: E402
from echo import EchoPod, ws_read_frame, ws_write_frame

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "gateway-api-conformance"
CLASS_NAME = "gateway-conformance"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
INFRA = "gateway-conformance-infra"

# How long to keep trying (seconds). The reference gives 30 s per traffic expectation;
# our control plane translates in milliseconds, so a shorter budget only delays failures.
# Statuses are final once the server read the files (translation is synchronous), and
# requests start once every Envoy acknowledged its configuration: the budgets only cover
# what is left (listener warm-up, a new Envoy's first connection).
# The address a Gateway may ask for and get (PLACEHOLDER_USABLE_ADDRS). The
# Kubernetes replay uses another (an API server refuses loopback external IPs).
USABLE_ADDRESS = "127.0.0.1"
STATUS_BUDGET = float(os.environ.get("CONFORMANCE_STATUS_BUDGET", "0.5"))
REQUEST_BUDGET = float(os.environ.get("CONFORMANCE_REQUEST_BUDGET", "2"))


def load_expectations():
    return yaml.safe_load((REFERENCE / "expectations.yaml").read_text())


def split_name(text):
    ns, _, name = text.rpartition("/")
    return (ns or None), name


# ---------------------------------------------------------------- certificates ----

class Certificates:
    """The certificates the real suite creates at setup, made with the openssl CLI."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.secrets = {}     # (ns, name) -> (cert path, key path)
        self.configmaps = {}  # (ns, name) -> ca cert path
        wide = ["*", "*.org", "*.wildcard.org", "*.example.com", "*.example.org", "example.org",
                "example.com", "second-example.org", "third-example.wildcard.org",
                "fourth-example.wildcard.org", "https-listener.org", "unknown-example.org",
                "non.matching.org", "non.matching.com", "abc.example.com", "other.example.com"]
        self.secrets[("gateway-conformance-web-backend", "certificate")] = self.self_signed(
            "certificate", ["*"] + wide)
        self.secrets[(INFRA, "tls-validity-checks-certificate")] = self.self_signed(
            "tls-validity-checks-certificate", wide)
        checks_ca = self.ca("tls-checks-ca")
        self.configmaps[(INFRA, "tls-checks-ca-certificate")] = checks_ca[0]
        # Clients of the passthrough tests trust tls-checks-ca-certificate.
        for ns in (INFRA, "gateway-conformance-app-backend"):
            self.secrets[(ns, "tls-passthrough-checks-certificate")] = self.signed(
                checks_ca, f"tls-passthrough-{ns}", ["DNS:abc.example.com"])
        self.secrets[(INFRA, "tls-checks-certificate")] = self.signed(
            checks_ca, "tls-checks-certificate",
            ["DNS:abc.example.com", "URI:spiffe://abc.example.com/test-identity",
             "DNS:other.example.com"])
        self.secrets[(INFRA, "tls-terminate-checks-certificate")] = self.signed(
            checks_ca, "tls-terminate-checks-certificate", ["DNS:tls.example.com", "DNS:*.example.com"])
        self.secrets[(INFRA, "tls-checks-client-certificate")] = self.signed(
            checks_ca, "tls-checks-client-certificate", ["DNS:gateway.example.com"], client=True)
        self.configmaps[(INFRA, "mismatch-ca-certificate")] = self.ca("mismatch-ca")[0]
        for prefix in ("tls-validity-checks", "tls-validity-checks-per-port"):
            ca = self.ca(prefix + "-ca")
            self.configmaps[(INFRA, prefix + "-ca-certificate")] = ca[0]
            self.secrets[(INFRA, prefix + "-client-certificate")] = self.signed(
                ca, prefix + "-client-certificate", ["DNS:client.example.org"], client=True)

    def _openssl(self, *args):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    def ca(self, name):
        crt, key = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-subj", f"/CN={name}", "-keyout", key, "-out", crt,
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
        return crt, key

    def self_signed(self, name, dns):
        crt, key = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-subj", f"/CN={name}", "-keyout", key, "-out", crt,
                      "-addext", "subjectAltName=" + ",".join(f"DNS:{d}" for d in dns),
                      "-addext", "basicConstraints=critical,CA:TRUE")
        return crt, key

    def signed(self, ca, name, sans, client=False):
        crt, key, csr = (self.dir / f"{name}.{e}" for e in ("crt", "key", "csr"))
        ext = self.dir / f"{name}.ext"
        ext.write_text("subjectAltName=" + ",".join(sans) + "\nextendedKeyUsage="
                       + ("clientAuth,serverAuth" if client else "serverAuth,clientAuth") + "\n")
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                      "-keyout", key, "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
                      "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
        return crt, key

    def resources(self):
        def b64(p):
            return base64.b64encode(pathlib.Path(p).read_bytes()).decode()
        out = []
        for (ns, name), (crt, key) in self.secrets.items():
            out.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                        "metadata": {"name": name, "namespace": ns},
                        "data": {"tls.crt": b64(crt), "tls.key": b64(key)}})
        for (ns, name), crt in self.configmaps.items():
            out.append({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": ns},
                        "data": {"ca.crt": pathlib.Path(crt).read_text()}})
        return out

    def described(self, text):
        """'Secret ns/name', 'ConfigMap ns/name (key ca.crt)', 'certificate from Secret ...'
        -> (cert path, key path or None)."""
        m = re.search(r"(Secret|ConfigMap) ([\w.-]+)/([\w.-]+)", text or "")
        if not m:
            return None
        if m.group(1) == "Secret":
            return self.secrets.get((m.group(2), m.group(3)))
        crt = self.configmaps.get((m.group(2), m.group(3)))
        return (crt, None) if crt else None


# ---------------------------------------------------------------- adaptation ----

class World:
    """What outlives one test: echo pods, the port map, the certificates."""

    def __init__(self, workdir):
        self.workdir = pathlib.Path(workdir)
        self.certs = Certificates(self.workdir / "certs")
        self.pods = {}   # (ns, deployment) -> EchoPod
        self.ports = {}  # (gateway ns, gateway name, port) -> loopback port
        # (ns, deployment) -> the address its echo pod serves on
        self.pod_address = lambda ns, name: "127.0.0.1"

    def gateway_port(self, ns, name, port):
        key = (ns, name, int(port))
        if key not in self.ports:
            self.ports[key] = free_port()
        return self.ports[key]

    def pod(self, deployment_doc, services=()):
        ns = deployment_doc["metadata"].get("namespace", "default")
        name = deployment_doc["metadata"]["name"]
        if (ns, name) not in self.pods:
            spec = deployment_doc["spec"]["template"]["spec"]
            c = spec["containers"][0]
            env = {e["name"]: e.get("value", "") or "1" for e in c.get("env", [])}
            tls = None
            secret = next((v["secret"]["secretName"] for v in spec.get("volumes", [])
                           if "secret" in v), None)
            if secret and (env.get("TLS_SERVER_CERT")):
                crt, key = self.certs.secrets[(ns, secret)]
                ca = None
                cms = [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
                if env.get("TLS_CLIENT_CACERTS") and cms:
                    ca = self.certs.configmaps.get((ns, cms[0]))
                tls = (crt, key, ca)
            self.pods[(ns, name)] = EchoPod(ns, name, env, tls, services,
                                            address=self.pod_address(ns, name))
        return self.pods[(ns, name)]

    def close(self):
        for p in self.pods.values():
            p.close()


def _text(name):
    return (REFERENCE / name).read_text().replace("{GATEWAY_CLASS_NAME}", CLASS_NAME).replace(
        "{GATEWAY_CONTROLLER_NAME}", CONTROLLER)


def manifests(names):
    docs = []
    for n in names:
        docs += [d for d in yaml.safe_load_all(_text(n)) if d]
    return docs


def obj_key(d):
    m = d.get("metadata", {})
    return (d["kind"], m.get("namespace"), m["name"])


def _gateway_of_listenerset(docs, ls):
    ref = ls.get("spec", {}).get("parentRef", {})
    return ref.get("namespace") or ls["metadata"].get("namespace"), ref.get("name")


def adapt(world, docs):
    """The resource set our standalone gateway reads for these manifests."""
    docs = copy.deepcopy(docs)
    out = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
            "metadata": {"name": CLASS_NAME}, "spec": {"controllerName": CONTROLLER}}]
    out += world.certs.resources()
    deployments = {(d["metadata"].get("namespace", "default"),
                    d["spec"]["template"]["metadata"]["labels"].get("app")): d
                   for d in docs if d["kind"] == "Deployment"}
    services_of = {}
    for d in docs:
        if d["kind"] == "Service":
            app = (d["spec"].get("selector") or {}).get("app")
            services_of.setdefault((d["metadata"].get("namespace"), app), []).append(
                d["metadata"]["name"])
    listenersets = {(d["metadata"].get("namespace"), d["metadata"]["name"]): d
                    for d in docs if d["kind"] == "ListenerSet"}
    have = {obj_key(d) for d in docs}
    for d in docs:
        kind = d["kind"]
        meta = d.setdefault("metadata", {})
        if kind in ("Deployment", "Pod"):
            continue
        if kind == "Service":
            ns = meta.get("namespace", "default")
            app = (d["spec"].get("selector") or {}).get("app")
            dep = deployments.get((ns, app))
            if dep is not None:
                pod = world.pod(dep, services_of.get((ns, app), ()))
                out.append(endpoint_slice(d, pod))
        if kind == "EndpointSlice":
            fill_manual_slice(world, d, deployments)
        if kind == "Gateway":
            ns = meta.get("namespace", "default")
            for li in d["spec"].get("listeners", []):
                li["port"] = world.gateway_port(ns, meta["name"], li["port"])
            # per-port client validation names listener ports: move them alike
            frontend = ((d["spec"].get("tls") or {}).get("frontend") or {})
            for pp in frontend.get("perPort", []) or []:
                if "port" in pp:
                    pp["port"] = world.gateway_port(ns, meta["name"], pp["port"])
            for a in d["spec"].get("addresses", []) or []:
                if a.get("value") == "PLACEHOLDER_USABLE_ADDRS":
                    a.update({"type": "IPAddress", "value": USABLE_ADDRESS})
                elif a.get("value") == "PLACEHOLDER_UNUSABLE_ADDRS":
                    a.update({"type": "IPAddress", "value": "203.0.113.7"})
        if kind == "ListenerSet":
            gns, gname = _gateway_of_listenerset(docs, d)
            for li in d["spec"].get("listeners", []):
                li["port"] = world.gateway_port(gns, gname, li["port"])
        if kind.endswith("Route"):
            rns = meta.get("namespace", "default")
            for p in d["spec"].get("parentRefs", []) or []:
                if "port" not in p:
                    continue
                pns = p.get("namespace", rns)
                if p.get("kind") == "ListenerSet":
                    ls = listenersets.get((pns, p["name"]))
                    gns, gname = _gateway_of_listenerset(docs, ls) if ls else (pns, p["name"])
                else:
                    gns, gname = pns, p["name"]
                p["port"] = world.gateway_port(gns, gname, p["port"])
        meta.setdefault("generation", 1)
        out.append(d)
    # The suite's generated Secrets/ConfigMaps yield to ones a manifest defines.
    seen, result = set(), []
    for d in reversed(out):
        k = obj_key(d)
        if k in seen:
            continue
        seen.add(k)
        result.append(d)
    result.reverse()
    return [d for d in result if not (d["kind"] in ("Secret", "ConfigMap")
                                      and obj_key(d) not in have
                                      and any(obj_key(x) == obj_key(d) for x in docs))]


def endpoint_slice(svc, pod):
    meta = svc["metadata"]
    ports = []
    for p in svc["spec"].get("ports", []):
        target = p.get("targetPort", p["port"])
        local = pod.ports.get(int(target)) if str(target).isdigit() else None
        if local is None:
            continue
        ep = {"port": local, "protocol": p.get("protocol", "TCP")}
        if p.get("name"):
            ep["name"] = p["name"]
        if p.get("appProtocol"):
            ep["appProtocol"] = p["appProtocol"]
        ports.append(ep)
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": meta["name"] + "-local", "namespace": meta.get("namespace"),
                         "labels": {"kubernetes.io/service-name": meta["name"]}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [pod.address], "conditions": {"ready": True},
                           "targetRef": {"kind": "Pod", "name": pod.pod,
                                         "namespace": pod.namespace}}],
            "ports": ports}


def fill_manual_slice(world, d, deployments):
    """The suite fills hand-written EndpointSlices with infra-backend-v1's pod IPs."""
    if d.get("endpoints"):
        return
    ns = d["metadata"].get("namespace", "default")
    dep = deployments.get((ns, "infra-backend-v1"))
    if dep is None or d.get("addressType") != "IPv4":
        return
    pod = world.pod(dep)
    for p in d.get("ports", []):
        p["port"] = pod.ports.get(int(p["port"]), p["port"])
    d["endpoints"] = [{"addresses": [pod.address], "conditions": {"ready": True}}]


# ---------------------------------------------------------------- steps ----

def _find(docs, kind, name):
    ns, n = split_name(name)
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == n and (
                ns is None or d["metadata"].get("namespace") == ns):
            return d
    raise KeyError(f"{kind} {name} not in the manifests")


def _bump(d):
    d["metadata"]["generation"] = d["metadata"].get("generation", 1) + 1


def _step_patch(kind, name, fn):
    def apply(docs, world):
        d = _find(docs, kind, name)
        fn(d, docs, world)
        _bump(d)
    return apply


def _delete(kind, name):
    def apply(docs, world):
        docs.remove(_find(docs, kind, name))
    return apply


def _add_route(kind, name, gateway, section, backend, port):
    def apply(docs, world):
        time.sleep(1.05)  # "at least one second later": creationTimestamp order
        ns, n = split_name(name)
        docs.append({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": kind,
                     "metadata": {"name": n, "namespace": ns, "generation": 1,
                                  "creationTimestamp": time.strftime(
                                      "%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                     "spec": {"parentRefs": [{"name": gateway, "sectionName": section}],
                              "rules": [{"backendRefs": [{"name": backend, "port": port}]}]}})
    return apply


def _append_listener(gw, listener):
    return _step_patch("Gateway", gw, lambda d, docs, w: d["spec"]["listeners"].append(
        dict(listener, port=w.gateway_port(d["metadata"]["namespace"], d["metadata"]["name"],
                                           listener["port"]))))


def _btls_ca(name_fn):
    def fn(d, docs, w):
        d["spec"]["validation"]["caCertificateRefs"] = [
            {"group": "", "kind": "ConfigMap", "name": name_fn}]
    return fn


def _set_cm(ca_text_fn, create=False):
    def apply(docs, world):
        name = "tls-checks-ca-certificate-reconcile-test"
        for d in docs:
            if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name:
                d["data"] = {"ca.crt": ca_text_fn(world)}
                return
        docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": name, "namespace": INFRA, "generation": 1},
                     "data": {"ca.crt": ca_text_fn(world)}})
    return apply


def _checks_ca(world):
    return pathlib.Path(world.certs.configmaps[(INFRA, "tls-checks-ca-certificate")]).read_text()


STEPS = {
    ("BackendTLSPolicyObservedGenerationBump", "patch spec.validation.hostname to foo.example.com"):
        _step_patch("BackendTLSPolicy", f"{INFRA}/observed-generation-bump",
                    lambda d, docs, w: d["spec"]["validation"].update(hostname="foo.example.com")),
    ("BackendTLSPolicy", "point spec.validation.caCertificateRefs at ConfigMap "
                         "tls-checks-ca-certificate-reconcile-test, which does not exist yet"):
        _step_patch("BackendTLSPolicy", f"{INFRA}/reconcile-test",
                    _btls_ca("tls-checks-ca-certificate-reconcile-test")),
    ("BackendTLSPolicy", "create that ConfigMap holding ca.crt copied from tls-checks-ca-certificate"):
        _set_cm(_checks_ca),
    ("BackendTLSPolicy", "set ca.crt in that ConfigMap to an empty string"): _set_cm(lambda w: ""),
    ("BackendTLSPolicy", "put the original ca.crt back"): _set_cm(_checks_ca),
    ("GatewayClassObservedGenerationBump", 'set spec.description to "new"'):
        _step_patch("GatewayClass", "gatewayclass-observed-generation-bump",
                    lambda d, docs, w: d["spec"].update(description="new")),
    ("GatewayModifyListeners", "append listener {name: http, port: 80, protocol: HTTP, hostname: "
                               "data.test.com, allowedRoutes.namespaces.from: All}"):
        _append_listener(f"{INFRA}/gateway-add-listener",
                         {"name": "http", "port": 80, "protocol": "HTTP",
                          "hostname": "data.test.com",
                          "allowedRoutes": {"namespaces": {"from": "All"}}}),
    ("GatewayModifyListeners", "remove the https listener, keeping only http"):
        _step_patch("Gateway", f"{INFRA}/gateway-remove-listener",
                    lambda d, docs, w: d["spec"].update(listeners=[
                        li for li in d["spec"]["listeners"] if li["name"] == "http"])),
    ("GatewayObservedGenerationBump", "append listener {name: alternate, hostname: foo.com, port: "
                                      "80, protocol: HTTP, allowedRoutes.namespaces.from: All}"):
        _append_listener(f"{INFRA}/gateway-observed-generation-bump",
                         {"name": "alternate", "port": 80, "protocol": "HTTP",
                          "hostname": "foo.com",
                          "allowedRoutes": {"namespaces": {"from": "All"}}}),
    ("GatewayStaticAddresses", "remove the first address (type test/fake-invalid-type)"):
        _step_patch("Gateway", f"{INFRA}/gateway-static-addresses",
                    lambda d, docs, w: d["spec"].update(addresses=[
                        a for a in d["spec"]["addresses"]
                        if a.get("type") != "test/fake-invalid-type"])),
    ("GatewayStaticAddresses", "also remove the unusable address"):
        _step_patch("Gateway", f"{INFRA}/gateway-static-addresses",
                    lambda d, docs, w: d["spec"].update(addresses=[
                        a for a in d["spec"]["addresses"]
                        if a.get("value") not in ("203.0.113.7", "PLACEHOLDER_UNUSABLE_ADDRS")])),
    ("HTTPRouteObservedGenerationBump", "change rules[0].backendRefs[0].name to infra-backend-v2"):
        _step_patch("HTTPRoute", f"{INFRA}/observed-generation-bump",
                    lambda d, docs, w: d["spec"]["rules"][0]["backendRefs"][0].update(
                        name="infra-backend-v2")),
    ("HTTPRouteReferenceGrant", "delete ReferenceGrant gateway-conformance-web-backend/reference-grant"):
        _delete("ReferenceGrant", "gateway-conformance-web-backend/reference-grant"),
    ("TCPRouteReferenceGrant", "delete ReferenceGrant gateway-conformance-web-backend/tcp-reference-grant"):
        _delete("ReferenceGrant", "gateway-conformance-web-backend/tcp-reference-grant"),
    ("UDPRouteReferenceGrant", "delete ReferenceGrant gateway-conformance-app-backend/udp-reference-grant"):
        _delete("ReferenceGrant", "gateway-conformance-app-backend/udp-reference-grant"),
    ("TCPRouteMultipleRoutesAttachment", "create TCPRoute tcproute-attach-newer (parent this Gateway, "
                                         "sectionName tcp, backend tcp-attach-backend-2 port 3000) "
                                         "at least one second later"):
        _add_route("TCPRoute", f"{INFRA}/tcproute-attach-newer", "tcp-multi-route-attach-gateway",
                   "tcp", "tcp-attach-backend-2", 3000),
    ("UDPRouteMultipleRoutesAttachment", "create UDPRoute udproute-attach-newer (parent this "
                                         "Gateway, sectionName udp, backend udp-attach-backend-2 "
                                         "port 8080) at least one second later"):
        _add_route("UDPRoute", f"{INFRA}/udproute-attach-newer", "udp-multi-route-attach-gateway",
                   "udp", "udp-attach-backend-2", 8080),
}
# Where a failure may be ours rather than the gateway's.
HARNESS_LIMITS = {}

# The Gateway API features this gateway claims in its conformance report (the
# GATEWAY-HTTP, GATEWAY-GRPC and GATEWAY-TLS profiles; Mesh is not claimed).
# A claimed feature is one whose conformance tests must pass. Backend-side
# RequestRedirect/URLRewrite are claimed although the reference v1.9 refuses them
# (a rule's only backendRef: see NOTES.md).
CLAIMED_FEATURES = {
    "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "ReferenceGrant", "BackendTLSPolicy",
    "BackendTLSPolicySANValidation", "GRPCRouteNamedRouteRule",
    "GRPCRouteRequestHeaderModifier", "GatewayAddressEmpty", "GatewayBackendClientCertificate",
    "GatewayFrontendClientCertificateValidation",
    "GatewayFrontendClientCertificateValidationInsecureFallback",
    "GatewayHTTPListenerIsolation", "GatewayHTTPSListenerDetectMisdirectedRequests",
    "GatewayInfrastructurePropagation", "GatewayPort8080",
    "GatewayStaticAddresses", "HTTPRoute303RedirectStatusCode",
    "HTTPRoute307RedirectStatusCode", "HTTPRoute308RedirectStatusCode",
    "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
    "HTTPRouteBackendRequestHeaderModification", "HTTPRouteBackendRequestRedirect",
    "HTTPRouteBackendURLRewrite", "HTTPRouteBackendTimeout", "HTTPRouteCORS",
    "HTTPRouteDestinationPortMatching", "HTTPRouteHostRewrite", "HTTPRouteMethodMatching",
    "HTTPRouteNamedRouteRule", "HTTPRouteParentRefPort", "HTTPRoutePathRedirect",
    "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching",
    "HTTPRouteRequestMirror", "HTTPRouteRequestMultipleMirrors",
    "HTTPRouteRequestPercentageMirror", "HTTPRouteRequestTimeout",
    "HTTPRouteResponseHeaderModification", "HTTPRouteRetry", "HTTPRouteRetryBackendTimeout",
    "HTTPRouteRetryConnectionError", "HTTPRouteSchemeRedirect", "ListenerSet", "TCPRoute",
    "TLSRouteModeMixed", "TLSRouteModeTerminate", "UDPRoute",
}

# Tests the upstream suite skips (they pass trivially) when a feature is claimed:
# they check how an implementation without the feature reports it.
SKIPPED_WHEN_CLAIMED = {
    "TLSRouteListenerTerminateNotSupported": "TLSRouteModeTerminate",
    "TLSRouteListenerMixedTerminationNotSupported": "TLSRouteModeMixed",
}

# Steps whose requests are meant to run once the change is made.
REQUESTS_AFTER_STEPS = {"TCPRouteMultipleRoutesAttachment", "UDPRouteMultipleRoutesAttachment"}


def phases(test):
    """[(step text or None, [status checks], [requests])] in the order the suite runs them."""
    out = [[None, [], []]]
    for kind, items in (("status", test.get("status") or []),
                        ("requests", test.get("requests") or [])):
        for item in items:
            step = item.get("after_step") if kind == "status" else item["request"].get("after_step")
            if step and not step.startswith("same"):
                out.append([step, [], []])
            slot = out[-1] if step else out[0]
            (slot[1] if kind == "status" else slot[2]).append(item)
    if test["name"] in REQUESTS_AFTER_STEPS and len(out) > 1:
        out[-1][2] += out[0][2]
        out[0][2] = []
    return out


class Outcome:
    def __init__(self, what, ok, detail=""):
        self.what, self.ok, self.detail = what, ok, detail

    def __repr__(self):
        return f"{'ok' if self.ok else 'FAIL'} {self.what}{': ' + self.detail if self.detail else ''}"


# ---------------------------------------------------------------- status checks ----

def _cond_match(conds, want):
    for c in conds or []:
        if c.get("type") != want.get("type"):
            continue
        if want.get("status") not in (None, "any") and c.get("status") != str(want["status"]):
            continue
        if want.get("reason") and c.get("reason") != want["reason"]:
            continue
        return True
    return False


def _show(conds):
    return "[" + ", ".join(f"{c.get('type')}={c.get('status')}/{c.get('reason')}"
                           for c in conds or []) + "]"


def _parent_entries(status, obj_ns, parent, parent_kind=None):
    pns, pname = split_name(parent)
    out = []
    for p in (status or {}).get("parents", []) + (status or {}).get("ancestors", []):
        ref = p.get("parentRef") or p.get("ancestorRef") or {}
        if ref.get("name") != pname or (ref.get("namespace") or obj_ns) != (pns or obj_ns):
            continue
        if (ref.get("kind") or "Gateway") != (parent_kind or "Gateway"):
            continue
        out.append(p)
    return out


def _all_conditions(status):
    out = list((status or {}).get("conditions", []))
    for li in (status or {}).get("listeners", []):
        out += li.get("conditions", [])
    for p in (status or {}).get("parents", []) + (status or {}).get("ancestors", []):
        out += p.get("conditions", [])
    return out


class Statuses:
    """One read of /api/status, indexed by (kind, namespace, name)."""

    def __init__(self, payload, docs):
        self.by_key = {}
        for r in payload.get("resources") or []:
            self.by_key[(r["kind"], r.get("namespace"), r["name"])] = r.get("status") or {}
        self.docs = {obj_key(d): d for d in docs}

    def get(self, kind, name):
        ns, n = split_name(name)
        return self.by_key.get((kind, ns, n))

    def generation(self, kind, name):
        ns, n = split_name(name)
        d = self.docs.get((kind, ns, n))
        return (d or {}).get("metadata", {}).get("generation", 1)

    def check(self, c):
        """None when the check holds, else what is wrong."""
        kind, name = c["kind"], c["name"]
        st = self.get(kind, name)
        label = f"{kind} {name}"
        if st is None:
            return f"{label}: no status"
        check = c.get("check")
        obj_ns = split_name(name)[0]
        if check is None:
            if "listener" in c:
                lis = [li for li in st.get("listeners", []) if li.get("name") == c["listener"]]
                if not lis:
                    return f"{label}: no status for listener {c['listener']}"
                conds, where = lis[0].get("conditions"), f"listener {c['listener']}"
            elif "parent" in c:
                entries = _parent_entries(st, obj_ns, c["parent"], c.get("parent_kind"))
                if not entries:
                    return f"{label}: no status for parent {c['parent']}"
                if any(_cond_match(e.get("conditions"), c) for e in entries):
                    return None
                return (f"{label} parent {c['parent']}: want {c['type']}={c['status']}"
                        f"/{c.get('reason', '*')}, got {_show(entries[0].get('conditions'))}")
            else:
                conds, where = st.get("conditions"), "conditions"
            if _cond_match(conds, c):
                return None
            return (f"{label} {where}: want {c['type']}={c['status']}/{c.get('reason', '*')}, "
                    f"got {_show(conds)}")
        if check == "listeners_exactly":
            got = {li.get("name"): li for li in st.get("listeners", [])}
            want = {li["name"]: li for li in c["listeners"]}
            if set(got) != set(want):
                return f"{label}: listeners {sorted(got)}, want exactly {sorted(want)}"
            for n, w in want.items():
                g = got[n]
                kinds = [k.get("kind") for k in g.get("supportedKinds", [])
                         if k.get("group", "gateway.networking.k8s.io") == "gateway.networking.k8s.io"]
                if w.get("supported_kinds") == [] and g.get("supportedKinds"):
                    return f"{label} listener {n}: supportedKinds {kinds}, want none"
                for k in w.get("supported_kinds") or []:
                    if k not in kinds:
                        return f"{label} listener {n}: supportedKinds {kinds}, want {k} among them"
                if "attached_routes" in w and g.get("attachedRoutes") != w["attached_routes"]:
                    return (f"{label} listener {n}: attachedRoutes {g.get('attachedRoutes')}, "
                            f"want {w['attached_routes']}")
                for wc in w.get("conditions") or []:
                    if not _cond_match(g.get("conditions"), wc):
                        return (f"{label} listener {n}: want {wc['type']}={wc['status']}/"
                                f"{wc.get('reason', '*')}, got {_show(g.get('conditions'))}")
            return None
        if check == "no_accepted_parents":
            ps = st.get("parents", [])
            if not ps or (len(ps) == 1 and _cond_match(ps[0].get("conditions"),
                                                       {"type": "Accepted", "status": "False"})):
                return None
            return f"{label}: want no accepted parent, got parents {json.dumps(ps)[:300]}"
        if check == "zero_attached_routes":
            lis = st.get("listeners", [])
            if not lis or (len(lis) == 1 and lis[0].get("attachedRoutes") == 0):
                return None
            return f"{label}: want 0 attached routes, got {[(li.get('name'), li.get('attachedRoutes')) for li in lis]}"
        if check == "attached_listener_sets":
            got = st.get("attachedListenerSets")
            return None if got == c["value"] else f"{label}: attachedListenerSets {got}, want {c['value']}"
        if check == "parents_include":
            entries = _parent_entries(st, obj_ns, c["parent"], c.get("parent_kind"))
            if any(_cond_match(e.get("conditions"), c["condition"]) for e in entries):
                return None
            return (f"{label}: want a parent {c.get('parent_kind', 'Gateway')} {c['parent']} with "
                    f"{c['condition']['type']}={c['condition']['status']}, got "
                    f"{json.dumps(st.get('parents', []))[:300]}")
        if check == "has_address":
            return None if st.get("addresses") else f"{label}: status.addresses is empty"
        if check == "status_addresses":
            a = st.get("addresses") or []
            if len(a) == 1 and a[0].get("value") == USABLE_ADDRESS:
                return None
            return f"{label}: status.addresses {a}, want exactly the usable {USABLE_ADDRESS}"
        if check in ("latest_observed_generation", "generation_changed"):
            gen = self.generation(kind, name)
            conds = _all_conditions(st)
            if not conds:
                return f"{label}: no conditions at all"
            bad = [x for x in conds if x.get("observedGeneration") != gen]
            if bad:
                return (f"{label}: conditions carry observedGeneration "
                        f"{sorted({str(x.get('observedGeneration')) for x in bad})}, want {gen} "
                        f"(metadata.generation)")
            return None
        return f"{label}: check {check} not implemented by the harness"

    def must_be_accepted(self, mba, default_gateway):
        problems = []
        for g in mba.get("gateways") or []:
            st = self.get("Gateway", g)
            if st is None:
                problems.append(f"Gateway {g}: no status")
                continue
            if not st.get("listeners"):
                problems.append(f"Gateway {g}: no listener status")
            for li in st.get("listeners", []):
                for t in ("ResolvedRefs", "Accepted", "Programmed"):
                    if not _cond_match(li.get("conditions"), {"type": t, "status": "True"}):
                        problems.append(f"Gateway {g} listener {li.get('name')}: want {t}=True, "
                                        f"got {_show(li.get('conditions'))}")
        for ls in mba.get("listener_sets") or []:
            st = self.get("ListenerSet", ls)
            if st is None:
                problems.append(f"ListenerSet {ls}: no status")
                continue
            for li in st.get("listeners", []):
                for t in ("ResolvedRefs", "Accepted", "Programmed"):
                    if not _cond_match(li.get("conditions"), {"type": t, "status": "True"}):
                        problems.append(f"ListenerSet {ls} listener {li.get('name')}: want "
                                        f"{t}=True, got {_show(li.get('conditions'))}")
        for r in mba.get("routes") or []:
            parent = r.get("parent") or default_gateway
            st = self.get(r["kind"], r["name"])
            if st is None:
                problems.append(f"{r['kind']} {r['name']}: no status")
                continue
            entries = _parent_entries(st, split_name(r["name"])[0], parent, r.get("parent_kind"))
            if not any(_cond_match(e.get("conditions"), {"type": "Accepted", "status": "True",
                                                         "reason": "Accepted"}) for e in entries):
                problems.append(f"{r['kind']} {r['name']} parent {parent}: want Accepted=True, got "
                                + (_show(entries[0].get("conditions")) if entries else "no entry"))
        return problems


# ---------------------------------------------------------------- requests ----

class Reply:
    def __init__(self, status=None, headers=None, body=b"", error=None, echo=None, extra=None):
        self.status = status
        self.headers = headers or {}  # lower-case name -> [values]
        self.body = body
        self.error = error
        self.echo = echo
        self.extra = extra or {}
        if echo is None and body:
            try:
                self.echo = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                self.echo = None

    def header(self, name):
        v = self.headers.get(name.lower())
        return ",".join(v) if v is not None else None

    def __repr__(self):
        if self.error:
            return f"error {self.error}"
        who = ""
        if isinstance(self.echo, dict):
            who = f" from {self.echo.get('namespace')}/{self.echo.get('pod')}"
        return f"{self.status}{who}"


def _tls_context(world, req, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    trusted = world.certs.described(req.get("trusted_ca") or req.get("trusted_cert") or "")
    if trusted:
        ctx.load_verify_locations(cafile=str(trusted[0]))
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a trusted leaf is an anchor
    else:
        ctx.verify_mode = ssl.CERT_NONE
    client = world.certs.described(req.get("client_cert") or "")
    if client and client[1]:
        ctx.load_cert_chain(str(client[0]), str(client[1]))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def _request_headers(req, host):
    h = {"Host": host}
    for k, v in (req.get("headers") or {}).items():
        h[k] = str(v)
    pairs = req.get("echo_set_response_headers") or {}
    h["X-Echo-Set-Header"] = ",".join(f"{k}:{v}" for k, v in pairs.items())
    return h


def http_request(world, port, req, host, path, timeout=10.0):
    import http.client
    proto = req.get("protocol", "HTTP")
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return Reply(error=f"connect: {e}")
    sock = raw
    try:
        if proto == "HTTPS":
            ctx = _tls_context(world, req, alpn=["http/1.1"])
            try:
                sock = ctx.wrap_socket(raw, server_hostname=req.get("server_name") or None)
            except (ssl.SSLError, OSError) as e:
                raw.close()
                return Reply(error=f"tls: {e}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.sock = sock
        conn.putrequest(req.get("method", "GET"), path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in _request_headers(req, host).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        headers = {}
        for k, v in r.getheaders():
            headers.setdefault(k.lower(), []).append(v)
        conn.close()
        return Reply(r.status, headers, body)
    except (OSError, http.client.HTTPException) as e:
        return Reply(error=f"{type(e).__name__}: {e}")
    finally:
        try:
            sock.close()
        except OSError:
            pass


def curl_request(world, port, req, host, path, timeout=10.0):
    """HTTP/2 (over TLS, or h2c with prior knowledge) through the curl CLI."""
    proto = req.get("protocol")
    args = ["curl", "-sS", "-m", str(int(timeout)), "-D", "-", "-o", "-", "-X",
            req.get("method", "GET")]
    if proto == "H2":
        sni = req.get("server_name") or host.split(":")[0]
        trusted = world.certs.described(req.get("trusted_ca") or req.get("trusted_cert") or "")
        args += ["--http2", "-k", "--resolve", f"{sni}:{port}:127.0.0.1",
                 f"https://{sni}:{port}{path}"]
        if trusted:
            args += ["--cacert", str(trusted[0])]
    else:
        args += ["--http2-prior-knowledge", f"http://127.0.0.1:{port}{path}"]
    for k, v in _request_headers(req, host).items():
        args += ["-H", f"{k}: {v}"]
    p = subprocess.run(args, capture_output=True, timeout=timeout + 5)
    if p.returncode != 0:
        return Reply(error=f"curl {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return Reply(status, headers, body)


def grpc_request(world, port, req, timeout=10.0):
    import grpc
    g = req["grpc"]
    opts = []
    if req.get("authority"):
        opts.append(("grpc.default_authority", req["authority"]))
    ch = grpc.insecure_channel(f"127.0.0.1:{port}", options=opts)
    try:
        call = ch.unary_unary(f"/{g['service']}/{g['method']}",
                              request_serializer=lambda b: b, response_deserializer=lambda b: b)
        md = [(k.lower(), str(v)) for k, v in (req.get("metadata") or {}).items()]
        try:
            out = call(b"", metadata=md, timeout=timeout)
        except grpc.RpcError as e:
            return Reply(extra={"grpc_code": e.code().name, "grpc_detail": e.details()})
        try:
            echo = json.loads(out)
        except ValueError:
            echo = None
        return Reply(echo=echo, extra={"grpc_code": "OK"})
    finally:
        ch.close()


def stream_request(world, port, req, timeout=5.0):
    """TCP, or TCP inside TLS: the greeting, then TEST -> the backend's JSON."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return Reply(error=f"connect: {e}")
    sock = raw
    try:
        if req.get("protocol") == "TLS":
            try:
                sock = _tls_context(world, req).wrap_socket(
                    raw, server_hostname=req.get("server_name") or None)
            except (ssl.SSLError, OSError) as e:
                return Reply(error=f"tls: {e}")
        f = sock.makefile("rwb")
        greeting = f.readline()
        if not greeting:
            return Reply(error="connection closed before the greeting")
        f.write(b"TEST\n")
        f.flush()
        line = f.readline()
        try:
            return Reply(echo=json.loads(line))
        except ValueError:
            return Reply(error=f"bad TEST answer {line[:100]!r}")
    except OSError as e:
        return Reply(error=f"{type(e).__name__}: {e}")
    finally:
        sock.close()


def udp_request(world, port, req, timeout=1.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        if req.get("protocol") == "DNS":
            q = req.get("query") or {}
            name = b"".join(bytes([len(p)]) + p.encode() for p in q.get("name", "a.").split(".")
                            if p) + b"\0"
            payload = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + name + b"\x00\x01\x00\x01"
        else:
            payload = (req.get("payload") or "").encode()
        s.sendto(payload, ("127.0.0.1", port))
        try:
            data = s.recvfrom(65536)[0]
        except OSError as e:
            return Reply(error=f"no datagram back: {e}")
    try:
        return Reply(body=data, echo=json.loads(data))
    except (ValueError, UnicodeDecodeError):
        return Reply(body=data, extra={"raw": True})


def websocket_request(world, port, req, host, path, messages, timeout=5.0):
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return Reply(error=f"connect: {e}")
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        origin = req.get("origin", "")
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode())
        f = sock.makefile("rwb")
        status_line = f.readline().decode(errors="replace")
        while f.readline() not in (b"\r\n", b""):
            pass
        parts = status_line.split()
        if len(parts) < 2 or parts[1] != "101":
            return Reply(error=f"upgrade refused: {status_line.strip()}")
        got = []
        for m in messages:
            if "text" in m:
                ws_write_frame(f, 1, m["text"].encode())
            else:
                ws_write_frame(f, 2, bytes(m["binary"]))
            op, data = ws_read_frame(f)
            got.append({"text": data.decode()} if op == 1 else {"binary": list(data)})
        return Reply(status=101, extra={"ws": got})
    except (OSError, EOFError, ValueError) as e:
        return Reply(error=f"{type(e).__name__}: {e}")
    finally:
        sock.close()


# ---------------------------------------------------------------- expectations ----

def _status_ok(want, got):
    if isinstance(want, list):
        ok = set(want)
        if ok & {408, 504}:
            ok |= {408, 504}
        return got in ok
    return got == want


def _pod_of(reply):
    e = reply.echo if isinstance(reply.echo, dict) else {}
    return (e.get("context") or {}).get("pod") or e.get("pod") or ""


def _ns_of(reply):
    e = reply.echo if isinstance(reply.echo, dict) else {}
    return (e.get("context") or {}).get("namespace") or e.get("namespace") or ""


def _norm(v, ignore_ws):
    return v.replace(" ", "") if ignore_ws and v is not None else v


def judge_http(expect, reply, req, path, host, world=None):
    """None when `reply` is what `expect` asks for, else the mismatch."""
    failure = expect.get("failure")
    if failure == "request_error":
        return None if reply.error else f"want a transport error, got {reply!r}"
    if failure == "tls_connection_rejected":
        return None if reply.error else f"want the TLS connection rejected, got {reply!r}"
    if reply.error:
        return f"request failed: {reply.error}"
    if failure == "non_200_response":
        return None if reply.status != 200 else f"want a non-200 answer, got {reply!r}"
    want = expect.get("status", 200)
    if not _status_ok(want, reply.status):
        return f"want status {want}, got {reply!r}"
    ignore_ws = expect.get("ignore_whitespace_in_header_values")
    for k, v in (expect.get("response_headers") or {}).items():
        got = reply.header(k)
        if _norm(got, ignore_ws) != _norm(str(v), ignore_ws):
            return f"response header {k}: want {v!r}, got {got!r}"
    for k, vs in (expect.get("response_header_one_of") or {}).items():
        got = reply.header(k)
        if _norm(got, ignore_ws) not in [_norm(str(v), ignore_ws) for v in vs]:
            return f"response header {k}: want one of {vs}, got {got!r}"
    for k in expect.get("absent_response_headers") or []:
        if reply.header(k) is not None:
            return f"response header {k} must be absent, got {reply.header(k)!r}"
    if "redirect" in expect:
        return _judge_redirect(expect["redirect"], reply, req, path, world)
    if expect.get("answered_by_gateway"):
        if isinstance(reply.echo, dict) and (reply.echo.get("path") or reply.echo.get("namespace")):
            return f"want an answer from the gateway itself, got an echo from {_pod_of(reply)}"
        return None
    if reply.status not in (200, 204):
        return None
    if not isinstance(reply.echo, dict):
        return f"want an echo body, got {reply.body[:120]!r}"
    if "namespace" in expect and _ns_of(reply) != expect["namespace"]:
        return f"want backend namespace {expect['namespace']}, got {_ns_of(reply)} (pod {_pod_of(reply)})"
    if expect.get("backend") and not _pod_of(reply).startswith(expect["backend"]):
        return f"want backend {expect['backend']}, got pod {_pod_of(reply)}"
    echo_headers = {k.lower(): ",".join(v) if isinstance(v, list) else v
                    for k, v in (reply.echo.get("headers") or {}).items()}
    seen = expect.get("request_seen_by_backend")
    if seen is None:
        seen = {"path": path, "method": req.get("method", "GET"),
                "headers": {k: v for k, v in (req.get("headers") or {}).items()}}
        if req.get("host"):
            seen["host"] = req["host"]
    if "path" in seen and reply.echo.get("path") != seen["path"]:
        return f"backend saw path {reply.echo.get('path')!r}, want {seen['path']!r}"
    want_method = seen.get("method", "GET" if expect.get("request_seen_by_backend") else None)
    if want_method and reply.echo.get("method") != want_method:
        return f"backend saw method {reply.echo.get('method')}, want {want_method}"
    if seen.get("host") and reply.echo.get("host") != seen["host"]:
        return f"backend saw Host {reply.echo.get('host')!r}, want {seen['host']!r}"
    for k, v in (seen.get("headers") or {}).items():
        if echo_headers.get(k.lower()) != str(v):
            return f"backend saw header {k}: {echo_headers.get(k.lower())!r}, want {v!r}"
    for k in expect.get("absent_request_headers") or []:
        if k.lower() in echo_headers:
            return f"backend saw header {k} that must be removed: {echo_headers[k.lower()]!r}"
    if "backend_tls_server_name" in expect:
        sni = (reply.echo.get("tls") or {}).get("serverName")
        if sni != expect["backend_tls_server_name"]:
            return f"backend saw SNI {sni!r}, want {expect['backend_tls_server_name']!r}"
    if expect.get("backend_saw_client_cert"):
        if not (reply.echo.get("tls") or {}).get("peerCertificates"):
            return "backend saw no client certificate from the gateway"
    if expect.get("backend_matches_request_header"):
        h = echo_headers.get(expect["backend_matches_request_header"].lower())
        if not h or not _pod_of(reply).startswith(h):
            return f"backend pod {_pod_of(reply)} does not match request header value {h!r}"
    return None


def _manifest_port(world, port):
    """The listener port a manifest gave, for a loopback port the harness chose
    in its place (World.gateway_port), so that a Location naming the port the
    client used reads as the Gateway's own listener port."""
    if world is None or port is None:
        return port
    for (_ns, _name, manifest_port), local in world.ports.items():
        if local == port:
            return manifest_port
    return port


def _judge_redirect(want, reply, req, path, world=None):
    loc = reply.header("location")
    if not loc:
        return f"want a redirect, got {reply!r} without Location"
    u = urllib_parse(loc)
    got_port = _manifest_port(world, u.port)
    scheme = want.get("scheme") or ("https" if req.get("protocol") in ("HTTPS", "H2") else "http")
    if u.scheme != scheme:
        return f"Location {loc}: want scheme {scheme}"
    if want.get("host") and u.hostname != want["host"]:
        return f"Location {loc}: want host {want['host']}"
    want_path = want.get("path", path.split("?")[0])
    got_path = u.path + (("?" + u.query) if u.query and "?" in want_path else "")
    if got_path != want_path:
        return f"Location {loc}: want path {want_path}"
    if "port" in want:
        default = {"http": 80, "https": 443}[scheme]
        wp = int(want["port"])
        if (got_port or default) != wp:
            return f"Location {loc}: want port {wp}"
    elif got_port not in (None, {"http": 80, "https": 443}[scheme]):
        return f"Location {loc}: want no port or the scheme's default"
    return None


def urllib_parse(loc):
    import urllib.parse
    return urllib.parse.urlsplit(loc)


def judge_stream(expect, reply, req):
    failure = expect.get("failure")
    if failure in ("request_error", "tls_connection_rejected"):
        return None if reply.error else f"want the connection to fail, got {reply!r}"
    if expect.get("any_reply") or expect.get("any_dns_reply"):
        return None if not reply.error else f"want a reply, got {reply!r}"
    if reply.error:
        return f"request failed: {reply.error}"
    e = reply.echo if isinstance(reply.echo, dict) else {}
    if "namespace" in expect and e.get("namespace") != expect["namespace"]:
        return f"want namespace {expect['namespace']}, got {e.get('namespace')} (pod {e.get('pod')})"
    if expect.get("backend") and not (e.get("pod") or "").startswith(expect["backend"] + "-"):
        return f"want backend {expect['backend']}, got pod {e.get('pod')}"
    if expect.get("never_backend") and (e.get("pod") or "").startswith(expect["never_backend"] + "-"):
        return f"answered by {e.get('pod')}, which must never be used"
    if "service" in expect and e.get("service") != expect["service"]:
        return f"want service {expect['service']}, got {e.get('service')}"
    if "backend_is_tls" in expect and bool(e.get("isTLS")) != bool(expect["backend_is_tls"]):
        return f"backend isTLS {e.get('isTLS')}, want {expect['backend_is_tls']}"
    if "backend_tls_server_name" in expect:
        sni = (e.get("tls") or {}).get("serverName")
        if sni != expect["backend_tls_server_name"]:
            return f"backend saw SNI {sni!r}, want {expect['backend_tls_server_name']!r}"
    return None


def judge_grpc(expect, reply, req):
    code = reply.extra.get("grpc_code")
    if expect.get("failure") == "grpc_not_ok":
        return None if code != "OK" else "want a non-OK gRPC status, got OK"
    want = expect.get("grpc_code", "OK")
    if (code or "").replace("_", "").lower() != str(want).replace("_", "").lower():
        return f"want gRPC {want}, got {code} {reply.extra.get('grpc_detail') or ''}".strip()
    if want != "OK":
        return None
    e = reply.echo or {}
    g = req["grpc"]
    if e.get("fullyQualifiedMethod") != f"/{g['service']}/{g['method']}":
        return f"backend served {e.get('fullyQualifiedMethod')}"
    if "namespace" in expect and _ns_of(reply) != expect["namespace"]:
        return f"want namespace {expect['namespace']}, got {_ns_of(reply)}"
    if expect.get("backend") and not _pod_of(reply).startswith(expect["backend"]):
        return f"want backend {expect['backend']}, got pod {_pod_of(reply)}"
    return None


# ---------------------------------------------------------------- the runner ----

class Result:
    def __init__(self, name):
        self.name = name
        self.outcomes = []
        self.features = []
        self.skipped = None  # why the test did not run although it counts as passed

    def add(self, kind, what, problem):
        self.outcomes.append((kind, what, problem))

    def count(self, kind):
        items = [o for o in self.outcomes if o[0] == kind]
        return sum(1 for o in items if o[2] is None), len(items)

    def ok(self, kind=None):
        return all(o[2] is None for o in self.outcomes if kind is None or o[0] == kind)

    def first_failure(self):
        for kind, what, problem in self.outcomes:
            if problem is not None:
                return f"[{kind}] {what}: {problem}"
        return None


def run_test(runner, test):
    """(Result, why it was skipped or None): a test whose manifests are not shipped
    (the mesh tests) is skipped and does not pass; one the upstream suite skips when
    a feature is claimed counts as passed."""
    result = Result(test["name"])
    result.features = test.get("features") or []
    missing = [m for m in test.get("manifests") or [] if not (REFERENCE / m).exists()]
    if missing:
        result.add("status", "manifests", f"not shipped with the expectations: {missing}")
        return result, f"manifests not shipped with the expectations: {missing}"
    claimed = SKIPPED_WHEN_CLAIMED.get(test["name"])
    if claimed in CLAIMED_FEATURES:
        result.skipped = f"skipped: {claimed} is claimed"
        return result, None
    result = runner.run(test)
    result.features = test.get("features") or []
    return result, None


class Runner:
    """Replays tests against one running StandaloneServer (tests/e2e/conftest.py)."""

    def __init__(self, server, world):
        self.server = server
        self.world = world
        self.fence = 0
        self.base = manifests(["manifests.yaml"])

    # -- resources --

    def apply(self, docs):
        """Writes the adapted resources and waits until the server translated them."""
        self.fence += 1
        adapted = adapt(self.world, docs)
        fence = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": f"conformance-fence-{self.fence}", "namespace": "default"},
                 "data": {}}
        self.server.write("conformance.yaml", adapted + [fence])
        self.server.wait_until(
            lambda: self.statuses_raw().get(("ConfigMap", "default", fence["metadata"]["name"])),
            timeout=20, what=f"the server to read resources #{self.fence}")
        self.wait_proxies()
        return adapted

    def wait_proxies(self, timeout=10.0):
        """Until every fleet has a connected Envoy that acknowledged all it was sent."""
        def settled():
            dump = self.server.admin_json("/api/config_dump")
            by_fleet = {}
            for p in dump.get("proxies") or []:
                by_fleet.setdefault(p.get("fleet"), []).append(p)
            for fleet in dump.get("fleets") or {}:
                ps = by_fleet.get(fleet)
                if not ps:
                    return False
                for p in ps:
                    for t in (p.get("types") or {}).values():
                        if t.get("acked") != t.get("sent"):
                            return False
            return True
        time.sleep(0.1)  # the ADS server pushes right after translating
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if settled():
                    return True
            except Exception:
                pass
            time.sleep(0.05)
        return False

    def statuses_raw(self):
        payload = self.server.admin_json("/api/status")
        return {(r["kind"], r.get("namespace"), r["name"]): r for r in payload["resources"]}

    def statuses(self, docs):
        return Statuses(self.server.admin_json("/api/status"), docs)

    status_budget = STATUS_BUDGET

    def poll_status(self, docs, fn, budget=None):
        deadline = time.monotonic() + (self.status_budget if budget is None else budget)
        while True:
            problem = fn(self.statuses(docs))
            if problem is None or time.monotonic() > deadline:
                return problem
            time.sleep(0.1)

    # -- a whole test --

    def run(self, test):
        res = Result(test["name"])
        docs = self.base + manifests(test.get("manifests") or [])
        test_docs = manifests(test.get("manifests") or [])
        self._prepare_pods(docs)
        mba = test.get("must_be_accepted") or {}
        gateways = mba.get("gateways") or []
        default_gw = gateways[0] if len(gateways) == 1 else None
        if default_gw is None:
            gws = [f"{d['metadata']['namespace']}/{d['metadata']['name']}"
                   for d in test_docs if d["kind"] == "Gateway"]
            default_gw = gws[0] if gws else f"{INFRA}/same-namespace"
        self.budget_spent = False
        for i, (step, checks, requests) in enumerate(phases(test)):
            if step is not None:
                fn = STEPS.get((test["name"], step))
                if fn is None:
                    for c in checks:
                        res.add("status", _check_label(c), f"step {step!r} not implemented")
                    for r in requests:
                        res.add("request", _request_label(r), f"step {step!r} not implemented")
                    continue
                fn(docs, self.world)
            adapted = self.apply(docs)
            if i == 0:
                problems = self.poll_status(adapted, lambda s: (
                    "; ".join(s.must_be_accepted(mba, default_gw)) or None))
                res.add("status", "must_be_accepted", problems)
            for c in checks:
                res.add("status", _check_label(c), self.poll_status(adapted, lambda s: s.check(c)))
            for r in requests:
                res.add("request", _request_label(r), self.request(r, default_gw, test["name"]))
        return res

    def _prepare_pods(self, docs):
        adapt(self.world, docs)  # starts the echo pods of new Deployments

    # -- requests --

    def request(self, item, default_gw, test_name):
        req, expect = dict(item["request"]), item["expect"]
        gw = req.get("gateway") or default_gw
        gns, gname = split_name(gw)
        proto = req.get("protocol", "HTTP")
        orig_port = req.get("port") or (443 if proto in ("HTTPS", "H2") else 80)
        if proto in ("TCP", "TLS", "UDP", "DNS") and not req.get("port"):
            return "request without a port"
        port = self.world.ports.get((gns, gname, int(orig_port)))
        if port is None:
            return f"Gateway {gw} has no listener on port {orig_port} in the manifests"
        host = req.get("host") or ("127.0.0.1" if orig_port in (80, 443) else f"127.0.0.1:{orig_port}")
        budget = 1.0 if self.budget_spent else REQUEST_BUDGET
        deadline = time.monotonic() + budget
        streak, last = 0, None
        while True:
            problem = self._attempt(req, expect, proto, port, host, test_name)
            if problem is None:
                streak += 1
                # a weights check is already 500 samples (and each UDP sample is a new
                # proxy session, of which a cluster allows 1024 at once): once is enough
                if streak >= 3 or "weights" in expect:
                    return None
            else:
                streak, last = 0, problem
            if time.monotonic() > deadline:
                self.budget_spent = True
                return last
            time.sleep(0.1)

    def _attempt(self, req, expect, proto, port, host, test_name):
        problem = self._attempt_once(req, expect, proto, port, host, test_name)
        if problem and test_name in HARNESS_LIMITS:
            problem += f" (harness limitation: {HARNESS_LIMITS[test_name]})"
        return problem

    def _attempt_once(self, req, expect, proto, port, host, test_name):
        n = int(expect.get("repeat", 1))
        path = (req.get("path") or "/").replace("{uuid}", str(uuidlib.uuid4()))
        if "weights" in expect:
            return self._weights(req, expect, proto, port, host, path)
        marks = {k: len(p.seen) for k, p in self.world.pods.items()}
        for _ in range(n):
            if proto in ("HTTP", "HTTPS"):
                reply = http_request(self.world, port, req, host, path)
                problem = judge_http(expect, reply, req, path, host, self.world)
            elif proto in ("H2", "H2C_PRIOR_KNOWLEDGE"):
                reply = curl_request(self.world, port, req, host, path)
                problem = judge_http(expect, reply, req, path, host, self.world)
            elif proto == "gRPC":
                reply = grpc_request(self.world, port, req)
                problem = judge_grpc(expect, reply, req)
            elif proto in ("TCP", "TLS"):
                reply = stream_request(self.world, port, req)
                problem = judge_stream(expect, reply, req)
            elif proto in ("UDP", "DNS"):
                reply = udp_request(self.world, port, req)
                problem = judge_stream(expect, reply, req)
            elif proto == "WebSocket":
                req = dict(req, origin=(req.get("origin") or "").replace("{test name}", test_name))
                reply = websocket_request(self.world, port, req, host, path,
                                          expect.get("websocket_echo") or [])
                problem = reply.error or (None if reply.extra.get("ws") == expect.get("websocket_echo")
                                          else f"echoed {reply.extra.get('ws')}")
            else:
                return f"protocol {proto} not supported by the harness"
            if problem:
                return problem
        for m in expect.get("mirrored_to") or []:
            problem = self._mirrored(m, path, marks)
            if problem:
                return problem
        return None

    def _mirrored(self, m, path, marks):
        pod = self.world.pods.get((m["namespace"], m["backend"]))
        if pod is None:
            return f"no echo pod plays {m['namespace']}/{m['backend']}"
        if m.get("percent") is not None and float(m["percent"]) < 100:
            return None  # a share needs many samples; the mirror itself is checked elsewhere
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            if any(p == path for p, _, _ in pod.seen_since(marks.get((m["namespace"], m["backend"]), 0))):
                return None
            time.sleep(0.05)
        return f"mirror {m['namespace']}/{m['backend']} did not receive {path}"

    def _weights(self, req, expect, proto, port, host, path, samples=500):
        counts, errors = {}, 0
        for _ in range(samples):
            if proto == "gRPC":
                reply = grpc_request(self.world, port, req)
                ok = reply.extra.get("grpc_code") == "OK"
            elif proto in ("TCP", "TLS"):
                reply = stream_request(self.world, port, req)
                ok = not reply.error
            elif proto == "UDP":
                reply = udp_request(self.world, port, req)
                ok = not reply.error
            else:
                reply = http_request(self.world, port, req, host, path)
                ok = reply.status == 200
            if not ok:
                errors += 1
                if errors > 10:
                    return f"weighted request failed: {reply!r}"
                continue
            pod = _pod_of(reply)
            for b in expect["weights"]:
                if pod.startswith(b + "-"):
                    counts[b] = counts.get(b, 0) + 1
        total = sum(counts.values()) or 1
        for b, w in expect["weights"].items():
            share = counts.get(b, 0) / total
            if abs(share - w) > 0.05:
                return f"weights: {b} got {share:.2f}, want {w} (counts {counts})"
        return None


def _check_label(c):
    what = c.get("check") or f"{c.get('type')}={c.get('status')}/{c.get('reason', '*')}"
    where = c.get("listener") and f" listener {c['listener']}" or c.get("parent") and f" parent {c['parent']}" or ""
    return f"{c['kind']} {c['name']}{where} {what}"


def _request_label(item):
    r = item["request"]
    return (f"{r.get('protocol', 'HTTP')} {r.get('method', 'GET')} "
            f"{r.get('host', '')}{r.get('path', '')}" + (f" :{r['port']}" if r.get("port") else "")
            + (f" {r['grpc']['method']}" if r.get("grpc") else ""))
