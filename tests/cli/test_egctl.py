"""Command-line behaviour of egctl: input from stdin, output formats, usage
errors and exit codes (0 ok, 1 bad input or I/O, 2 bad usage).

EGCTL defaults to build/egctl under the repository root."""
import json
import os
import pathlib
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
EGCTL = pathlib.Path(os.environ.get("EGCTL", ROOT / "build" / "egctl"))
if not EGCTL.is_absolute():
    EGCTL = ROOT / EGCTL

TRANSLATE = ["x", "translate", "--from", "gateway-api", "--to", "gateway-api"]

RESOURCES = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
  namespace: default
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
"""


def egctl(*args, stdin=None, cwd=None):
    if not EGCTL.exists():
        pytest.fail(f"{EGCTL} does not exist: build it first (or set EGCTL)")
    return subprocess.run([str(EGCTL), *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=cwd)


@pytest.fixture
def resources_file(tmp_path):
    p = tmp_path / "resources.yaml"
    p.write_text(RESOURCES)
    return p


def gateway_names(out):
    return [g["metadata"]["name"] for g in out.get("gateways", [])]


def test_file_and_yaml_output(resources_file):
    res = egctl(*TRANSLATE, "-o", "yaml", "-f", str(resources_file))
    assert res.returncode == 0, res.stderr
    out = yaml.safe_load(res.stdout)
    assert out["gatewayClass"]["metadata"]["name"] == "eg"
    assert gateway_names(out) == ["eg"]


def test_stdin_gives_the_same_output(resources_file):
    from_file = egctl(*TRANSLATE, "-o", "yaml", "-f", str(resources_file))
    from_stdin = egctl(*TRANSLATE, "-o", "yaml", "-f", "-", stdin=RESOURCES)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout


def test_json_output_parses_and_matches_yaml(resources_file):
    as_json = egctl(*TRANSLATE, "-o", "json", "-f", str(resources_file))
    as_yaml = egctl(*TRANSLATE, "-o", "yaml", "-f", str(resources_file))
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == yaml.safe_load(as_yaml.stdout)


def test_output_is_deterministic(resources_file):
    runs = {egctl(*TRANSLATE, "-o", "yaml", "-f", str(resources_file)).stdout for _ in range(3)}
    assert len(runs) == 1


def test_option_equals_form(resources_file):
    res = egctl("x", "translate", "--from=gateway-api", "--to=gateway-api", "--output=json",
                f"--file={resources_file}")
    assert res.returncode == 0, res.stderr
    assert gateway_names(json.loads(res.stdout)) == ["eg"]


@pytest.mark.parametrize("args", [
    [*TRANSLATE, "--frobnicate", "-f", "x.yaml"],
    [*TRANSLATE, "-z"],
    ["x", "explode"],
    ["nonsense"],
    [],
])
def test_bad_usage_exits_2_with_usage(args):
    res = egctl(*args)
    assert res.returncode == 2, res.stderr
    assert "usage: egctl" in res.stderr
    assert res.stdout == ""


def test_unknown_option_is_named():
    res = egctl(*TRANSLATE, "--frobnicate", "-f", "x.yaml")
    assert "--frobnicate" in res.stderr


@pytest.mark.parametrize("args, complaint", [
    ([*TRANSLATE], "-f"),
    ([*TRANSLATE, "-f"], "-f"),
    ([*TRANSLATE, "-o", "xml", "-f", "-"], "xml"),
    (["x", "translate", "--from", "kubernetes", "--to", "gateway-api", "-f", "-"], "kubernetes"),
])
def test_bad_option_values_exit_2(args, complaint):
    res = egctl(*args, stdin="")
    assert res.returncode == 2
    assert complaint in res.stderr


def test_help_goes_to_stdout_and_succeeds():
    for args in (["--help"], ["-h"], [*TRANSLATE, "--help"]):
        res = egctl(*args)
        assert res.returncode == 0
        assert "usage: egctl" in res.stdout


def test_version():
    res = egctl("version")
    assert res.returncode == 0
    assert res.stdout.startswith("egctl ")


def test_missing_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    res = egctl(*TRANSLATE, "-f", str(missing))
    assert res.returncode == 1
    assert str(missing) in res.stderr
    assert "No such file or directory" in res.stderr
    assert res.stdout == ""


def test_directory_is_a_clear_error(tmp_path):
    res = egctl(*TRANSLATE, "-f", str(tmp_path))
    assert res.returncode == 1
    assert str(tmp_path) in res.stderr


def test_bad_input_exits_1_naming_stdin():
    res = egctl(*TRANSLATE, "-f", "-", stdin="kind: [\n")
    assert res.returncode == 1
    assert "<stdin>: document 1" in res.stderr
    assert "not valid YAML" in res.stderr
    assert res.stdout == ""


def test_bad_document_rejects_the_whole_input(resources_file):
    text = RESOURCES + "---\napiVersion: v1\nkind: Widget\nmetadata: {name: w}\n"
    res = egctl(*TRANSLATE, "-f", "-", stdin=text)
    assert res.returncode == 1
    assert "<stdin>: document 3: kind: unknown kind \"Widget\"" in res.stderr
    assert res.stdout == ""


def test_empty_input_is_fine():
    res = egctl(*TRANSLATE, "-o", "json", "-f", "-", stdin="")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {}


def test_warnings_do_not_fail(resources_file):
    text = RESOURCES + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n"
    res = egctl(*TRANSLATE, "-f", "-", stdin=text)
    assert res.returncode == 0, res.stderr
    assert "warning: <stdin>: document 3: ServiceAccount" in res.stderr
    assert gateway_names(yaml.safe_load(res.stdout)) == ["eg"]


def test_duplicate_object_warns_and_keeps_both():
    text = RESOURCES + "---\n" + RESOURCES.split("---\n")[1]
    res = egctl(*TRANSLATE, "-f", "-", stdin=text)
    assert res.returncode == 0, res.stderr
    assert "warning: <stdin>: document 3: metadata.name: Gateway default/eg is defined twice" \
        in res.stderr
    assert gateway_names(yaml.safe_load(res.stdout)) == ["eg", "eg"]


def test_number_for_a_string_field_warns():
    text = RESOURCES + """\
---
apiVersion: v1
kind: Service
metadata:
  name: "8080"
  namespace: default
  labels:
    app: web
spec:
  ports:
  - port: 80
    name: 8080
"""
    res = egctl(*TRANSLATE, "-f", "-", stdin=text)
    assert res.returncode == 0, res.stderr
    assert "spec.ports[0].name: expected a string, got an integer; read as \"8080\"" in res.stderr


# --- commands for a running server, against a stand-in for its admin endpoint -------------

class FakeAdmin:
    """Answers GET path -> (status, body) from `answers` (a dict) on a free loopback port,
    recording the paths asked for."""

    def __init__(self, answers):
        import http.server
        import threading

        self.paths = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                fake.paths.append(self.path)
                status, body = answers.get(self.path, (404, "not found"))
                data = body if isinstance(body, str) else json.dumps(body)
                self.send_response(status)
                self.send_header("content-type",
                                 "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("content-length", str(len(data.encode())))
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def meta(name, namespace=None):
    m = {"name": name}
    if namespace:
        m["namespace"] = namespace
    return {"metadata": m}


SERVER = {"namespace": "envoy-gateway-system", "name": "eg-host"}
ALL = {"resources": [{"gatewayClass": meta("eg"), "gateways": [meta("eg", "default")],
                      "httpRoutes": [meta("a", "default"), meta("b", "team")]}],
       "totalCount": 1, "timestamp": "2026-12-05T00:00:00Z", "server": SERVER}
ROUTES = {"resources": [meta("a", "default"), meta("b", "team")], "totalCount": 2,
          "timestamp": "2026-12-05T00:00:00Z", "server": SERVER}


@pytest.fixture
def fake_admin():
    made = []

    def start(answers):
        made.append(FakeAdmin(answers))
        return made[-1]
    yield start
    for f in made:
        f.close()


def test_config_envoy_gateway_keys_by_server_and_filters(fake_admin):
    admin = fake_admin({"/api/config_dump?resource=all": (200, ALL),
                        "/api/config_dump?resource=httproute": (200, ROUTES)})
    res = egctl("config", "envoy-gateway", "--admin-address", admin.address)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"envoy-gateway-system": {"eg-host": ALL["resources"]}}
    res = egctl("c", "gateway", "hr", "-o", "yaml", "--resource-namespace", "team",
                "--admin-address", admin.address)
    assert res.returncode == 0, res.stderr
    assert yaml.safe_load(res.stdout) == {
        "envoy-gateway-system": {"eg-host": [meta("b", "team")]}}
    res = egctl("config", "envoy-gateway", "all", "--resource-namespace", "team",
                "--admin-address", admin.address)
    item, = json.loads(res.stdout)["envoy-gateway-system"]["eg-host"]
    assert item == {"gatewayClass": meta("eg"), "httpRoutes": [meta("b", "team")]}
    assert admin.paths == ["/api/config_dump?resource=all",
                           "/api/config_dump?resource=httproute",
                           "/api/config_dump?resource=all"]


def test_config_envoy_gateway_reports_the_server_refusal(fake_admin):
    admin = fake_admin({"/api/config_dump?resource=all": (503, "no translation yet")})
    res = egctl("config", "envoy-gateway", "--admin-address", admin.address)
    assert res.returncode == 1 and "no translation yet" in res.stderr


def test_dashboard_prints_admin_urls(fake_admin):
    admin = fake_admin({
        "/healthz": (200, "ok"),
        "/api/proxies": (200, {"processes": [
            {"fleet": "default/eg", "admin": "127.0.0.1:4000", "running": True},
            {"fleet": "team/gw", "admin": "127.0.0.1:4001", "running": False}]})})
    res = egctl("x", "dashboard", "envoy-gateway", "--admin-address", admin.address)
    assert res.returncode == 0 and res.stdout == f"http://{admin.address}\n"
    res = egctl("x", "dashboard", "envoy-proxy", "--admin-address", admin.address)
    assert res.stdout == "default/eg http://127.0.0.1:4000\n"
    assert res.returncode == 1 and "team/gw: its Envoy is not running" in res.stderr
    res = egctl("x", "dashboard", "envoy-proxy", "default/eg", "--admin-address", admin.address)
    assert res.returncode == 0 and res.stdout == "http://127.0.0.1:4000\n"


@pytest.mark.parametrize("args", [
    ["x", "dashboard"],
    ["x", "dashboard", "nothing"],
    ["x", "dashboard", "envoy-gateway", "extra"],
    ["config", "envoy-gateway", "-o", "table"],
    ["config", "envoy-gateway", "--bogus"],
])
def test_admin_command_usage_errors_exit_2(args):
    res = egctl(*args, "--admin-address", "127.0.0.1:1")
    assert res.returncode == 2 and "usage:" in res.stderr


def test_help_lists_the_admin_commands():
    res = egctl("--help")
    assert "egctl config envoy-gateway [TYPE]" in res.stdout
    assert "egctl x dashboard envoy-gateway|envoy-proxy" in res.stdout
