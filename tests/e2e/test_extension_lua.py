"""EnvoyExtensionPolicy Lua through a real Envoy programmed by our standalone
server: an inline script that adds a response header, a script from a
ConfigMap (valueRef) that adds a request header the backend sees, and one that
refuses requests with 403 before they reach the backend. A policy on the
Gateway's listener runs on the routes without one of their own."""
import pytest

from backends import HttpEcho, backend_resource, gateway, gateway_class
from conftest import free_port
from extension_common import accepted, extension_policy, http_route, request, start_server

ADD_HEADER = """
function envoy_on_response(response_handle)
  response_handle:headers():add("x-lua", "hello from lua")
end
"""

DENY = """
function envoy_on_request(request_handle)
  if request_handle:headers():get("x-let-me-in") ~= "please" then
    request_handle:respond({[":status"] = "403", ["content-type"] = "text/plain"}, "denied by lua")
  end
end
"""

FROM_CONFIG_MAP = """
function envoy_on_request(request_handle)
  request_handle:headers():add("x-lua-configmap", "yes")
end
"""

WITH_CONTEXT = """
function envoy_on_request(request_handle)
  local greeting = request_handle:filterContext():get("greeting") or "none"
  request_handle:headers():add("x-lua-context", greeting)
end
"""

POLICIES = [
    extension_policy("add-header", "lua-inline", {"lua": [{"type": "Inline",
                                                            "inline": ADD_HEADER}]}),
    extension_policy("context", "lua-context", {"lua": [{
        "type": "Inline", "inline": WITH_CONTEXT, "filterContext": {"greeting": "bonjour"}}]}),
    extension_policy("deny", "lua-deny", {"lua": [{"type": "Inline", "inline": DENY}]}),
    extension_policy("from-cm", "lua-cm", {"lua": [{"type": "ValueRef", "valueRef": {
        "group": "", "kind": "ConfigMap", "name": "lua-script"}}]}),
]

GATEWAY_WIDE = """
function envoy_on_response(response_handle)
  response_handle:headers():add("x-lua-gateway", "every route")
end
"""

# On the Gateway's listener: every route without a policy of its own runs it.
GATEWAY_POLICY = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyExtensionPolicy",
                  "metadata": {"name": "gateway-wide", "namespace": "default"},
                  "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io",
                                           "kind": "Gateway", "name": "eg",
                                           "sectionName": "http"}],
                           "lua": [{"type": "Inline", "inline": GATEWAY_WIDE}]}}

CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "lua-script", "namespace": "default"},
              "data": {"lua": FROM_CONFIG_MAP}}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = start_server(standalone, "lua")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("lua-inline", "inline.example"),
                                 http_route("lua-deny", "deny.example"),
                                 http_route("lua-context", "context.example"),
                                 http_route("lua-cm", "cm.example")])
    server.write("configmap.yaml", [CONFIG_MAP])
    server.write("policies.yaml", POLICIES + [GATEWAY_POLICY])

    def ready():
        return (request(port, "plain.example", timeout=2)[0] == 200
                and request(port, "inline.example", timeout=2)[1].get("x-lua")
                and request(port, "deny.example", timeout=2)[0] == 403)
    server.wait_until(ready, timeout=30, what="Lua policies served")
    server.port, server.echo = port, echo
    return server


def test_policies_accepted(gw):
    for name in ("add-header", "deny", "from-cm", "context", "gateway-wide"):
        cond = accepted(gw, "EnvoyExtensionPolicy", name)
        assert cond and cond["status"] == "True", (name, cond)


def test_inline_lua_adds_a_response_header(gw):
    status, headers, body = request(gw.port, "inline.example")
    assert status == 200
    assert headers["x-lua"] == "hello from lua"
    assert headers["x-backend"] == "echo"


def test_route_without_policy_runs_the_gateway_policy_only(gw):
    status, headers, _ = request(gw.port, "plain.example")
    assert status == 200
    assert "x-lua" not in headers
    assert headers["x-lua-gateway"] == "every route"


def test_route_policy_takes_over_from_the_gateway_policy(gw):
    status, headers, _ = request(gw.port, "inline.example")
    assert status == 200
    assert headers["x-lua"] == "hello from lua"
    assert "x-lua-gateway" not in headers


def test_lua_refuses_with_403_before_the_backend(gw):
    gw.echo.clear()
    status, headers, body = request(gw.port, "deny.example", path="/secret")
    assert status == 403
    assert body == b"denied by lua"
    assert gw.echo.seen(lambda r: r["path"] == "/secret") == []
    status, _, _ = request(gw.port, "deny.example", path="/secret",
                           headers={"x-let-me-in": "please"})
    assert status == 200
    assert len(gw.echo.seen(lambda r: r["path"] == "/secret")) == 1


def test_lua_from_config_map_changes_the_request(gw):
    import json
    status, _, body = request(gw.port, "cm.example")
    assert status == 200
    assert json.loads(body)["headers"].get("x-lua-configmap") == "yes"


def test_lua_disabled_is_refused_by_field(gw, tmp_path):
    """The same policy where Lua is not enabled is not Accepted, and names lua."""
    import subprocess
    import yaml
    from conftest import build_dir
    docs = [gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP", "port": 80}]),
            http_route("lua-inline", "inline.example"), POLICIES[0]]
    src = tmp_path / "in.yaml"
    src.write_text(yaml.safe_dump_all(docs))
    out = subprocess.run([str(build_dir() / "egctl"), "x", "translate", "--from", "gateway-api",
                          "--to", "gateway-api", "-o", "yaml", "-f", str(src)],
                         capture_output=True, text=True, check=True).stdout
    assert "Lua extensions are disabled" in out


BROKEN = """
function envoy_on_request(request_handle)
  if true
    request_handle:logInfo("no then")
  end
end
"""


@pytest.mark.parametrize("provider, accepted_status", [("standalone", "False"),
                                                       ("kubernetes", "True")])
def test_script_that_does_not_parse_with_validation_disabled(tmp_path, provider,
                                                             accepted_status):
    """With the EnvoyProxy's Lua validation Disabled the reference accepts any
    script, and Envoy then refuses the whole listener. The gateway we run
    (standalone) still checks the syntax and refuses the policy by field; with
    a Kubernetes provider the status stays the reference's."""
    import subprocess
    import yaml
    from conftest import build_dir
    provider_doc = ({"type": "Custom", "custom": {"resource": {"type": "File"},
                                                  "infrastructure": {"type": "Host"}}}
                    if provider == "standalone" else {"type": "Kubernetes"})
    eg = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyGateway",
          "gateway": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
          "provider": provider_doc, "extensionApis": {"enableLua": True}}
    cls = gateway_class()
    cls["spec"]["parametersRef"] = {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                    "name": "lax", "namespace": "default"}
    proxy = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
             "metadata": {"name": "lax", "namespace": "default"},
             "spec": {"lua": {"validationType": "Disabled"}}}
    docs = [eg, cls, proxy, gateway("eg", [{"name": "http", "protocol": "HTTP", "port": 80}]),
            http_route("lua-inline", "inline.example"),
            extension_policy("broken", "lua-inline", {"lua": [{"type": "Inline",
                                                               "inline": BROKEN}]})]
    src = tmp_path / "in.yaml"
    src.write_text(yaml.safe_dump_all(docs))
    out = subprocess.run([str(build_dir() / "egctl"), "x", "translate", "--from", "gateway-api",
                          "--to", "gateway-api", "-o", "json", "-f", str(src)],
                         capture_output=True, text=True, check=True).stdout
    import json
    policy = next(p for p in json.loads(out)["envoyExtensionPolicies"]
                  if p["metadata"]["name"] == "broken")
    cond = next(c for c in policy["status"]["ancestors"][0]["conditions"]
                if c["type"] == "Accepted")
    assert cond["status"] == accepted_status, cond
    if accepted_status == "False":
        assert "lua[0]" in cond["message"]


def test_lua_reads_its_filter_context(gw):
    import json
    status, headers, body = request(gw.port, "context.example")
    assert status == 200, (status, headers, body, gw.log_tail())
    assert json.loads(body)["headers"]["x-lua-context"] == "bonjour"
