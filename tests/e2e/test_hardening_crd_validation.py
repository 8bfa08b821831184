"""Hardening, item 8, from the CRDs themselves: the server refuses a file holding an
object that breaks a rule of its CRD's schema (pattern, length, item count, required
field, range) or one of its CEL rules, as an API server refuses to store it. The
error names the file, the object and the field path, with the CRD's own message for
a CEL rule; the file's last good version stays in force, so the route keeps serving
(no request fails meanwhile) and the refused change never reaches Envoy."""
import pytest

from hardening_util import Load, simple_gateway, status_of


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    server = standalone("crd-validation")
    port, _ = simple_gateway(server, module_cleanup, hosts=("a.example",))
    return server, port


def route(rule_patch=None, **spec_patch):
    rule = {"backendRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend",
                             "name": "a"}]}
    rule.update(rule_patch or {})
    spec = {"parentRefs": [{"name": "eg"}], "hostnames": ["a.example"], "rules": [rule]}
    spec.update(spec_patch)
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "a", "namespace": "default"}, "spec": spec}


CASES = [
    # CEL: a filter type without its settings (the CRD's message)
    (route({"filters": [{"type": "RequestHeaderModifier"}]}),
     "spec.rules[0].filters[0]: filter.requestHeaderModifier must be specified for "
     "RequestHeaderModifier filter.type"),
    # CEL with a schema default: path type defaults to PathPrefix, which needs a "/"
    (route({"matches": [{"path": {"value": "a.example/x"}}]}),
     "spec.rules[0].matches[0].path: value must be an absolute path"),
    # CEL over the list: the same filter twice
    (route({"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}},
                        {"type": "RequestRedirect", "requestRedirect": {"scheme": "http"}}]}),
     "spec.rules[0].filters: RequestRedirect filter cannot be repeated"),
    # OpenAPI pattern
    (route(hostnames=["A_Example"]),
     'spec.hostnames[0]: "A_Example" does not match the pattern'),
    # OpenAPI maxItems
    (route(hostnames=[f"h{i}.example" for i in range(17)]),
     "spec.hostnames: 17 items, more than the 16 allowed"),
    # OpenAPI required
    (route(parentRefs=[{"port": 80}]), "spec.parentRefs[0].name: required"),
]


@pytest.mark.parametrize("doc,message", CASES, ids=[c[1][:40] for c in CASES])
def test_object_breaking_its_crd_is_refused_and_the_last_good_file_serves(gw, doc, message):
    server, port = gw
    name = "route-a.example.yaml"
    good = (server.dir / name).read_text()
    load = Load(port, "a.example")
    server.write(name, [doc])

    def error():
        for f in server.admin_json("/api/status")["files"]:
            if f["path"].endswith(name) and f["error"]:
                return f["error"]
    err = server.wait_until(error, what="the CRD rule's error reported")
    assert "HTTPRoute default/a" in err and message in err, err
    assert name in err, err
    # The refused version never reached Envoy: the route still answers.
    assert status_of(port, "a.example")[0] == 200
    server.write(name, good)
    server.wait_until(lambda: not error(), what="fixed")
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]


def test_a_valid_change_still_applies(gw):
    """The checks refuse only what breaks a rule: a valid edit (a second hostname)
    goes through and serves."""
    server, port = gw
    name = "route-a.example.yaml"
    good = (server.dir / name).read_text()
    server.write(name, [route(hostnames=["a.example", "b.example"])])
    server.wait_until(lambda: status_of(port, "b.example")[0] == 200,
                      what="the new hostname served")
    server.write(name, good)
    server.wait_until(lambda: status_of(port, "b.example")[0] == 404,
                      what="back to one hostname")
