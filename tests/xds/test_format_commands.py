"""Every command of the substitution-format table the policy stages check
tracing tags and access-log formats against (src/gatewayapi/envoy_format.c)
is one our Envoy parses: a real Envoy (`--mode validate`) takes a listener
whose tracing tags use each of them, and refuses one the table lacks.

    .venv/bin/python -m pytest -q tests/xds/test_format_commands.py
"""
import json
import pathlib
import re
import subprocess

import pytest

from testkit import envoy_binary

ROOT = pathlib.Path(__file__).resolve().parents[2]
TABLE = ROOT / "src" / "gatewayapi" / "envoy_format.c"
# Arguments for the commands that need some.
ARGS = {"COMMON_DURATION": "DS_RX_BEG:DS_RX_END:ms", "ENVIRONMENT": "HOME",
        "DYNAMIC_METADATA": "ns:key", "CLUSTER_METADATA": "ns:key",
        "UPSTREAM_METADATA": "ns:key", "FILTER_STATE": "key", "UPSTREAM_FILTER_STATE": "key"}


def commands():
    text = TABLE.read_text()
    table = text[text.index("gw_format_commands[] = {"):]
    table = table[:table.index("};")]
    rows = re.findall(r'\{"([A-Z0-9_]+)", (NO_ARGS|ARGS|OPTIONAL_ARGS)\}', table)
    assert len(rows) > 100, "the table was not found"
    return rows


def command_text(name, kind):
    if kind == "ARGS":
        return f"%{name}({ARGS.get(name, 'x-test')})%"
    return f"%{name}%"


def bootstrap(tags):
    hcm = {"@type": "type.googleapis.com/envoy.extensions.filters.network."
                    "http_connection_manager.v3.HttpConnectionManager",
           "stat_prefix": "formats",
           "tracing": {"custom_tags": [{"tag": f"t{i}", "value": v} for i, v in enumerate(tags)]},
           "route_config": {"name": "r", "virtual_hosts": [{
               "name": "v", "domains": ["*"],
               "routes": [{"match": {"prefix": "/"}, "direct_response": {"status": 200}}]}]},
           "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
               "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}
    return {"static_resources": {"listeners": [{
        "name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                        "typed_config": hcm}]}]}]}}


def validate(tmp_path, tags):
    path = tmp_path / "formats.json"
    path.write_text(json.dumps(bootstrap(tags)))
    return subprocess.run([envoy_binary(), "--mode", "validate", "-c", str(path),
                           "--log-level", "error"], capture_output=True, text=True, timeout=120)


def test_envoy_parses_every_command_of_the_table(tmp_path):
    tags = [command_text(n, k) for n, k in commands()]
    # the optional arguments too, and a length limit
    tags += ["%START_TIME(%s.%3f)%", "%REQ(:PATH):10%", "100%% of %PROTOCOL%"]
    proc = validate(tmp_path, tags)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_envoy_refuses_a_command_the_table_lacks(tmp_path):
    names = {n for n, _ in commands()}
    assert "UPSTREAM_HOSTS" not in names
    proc = validate(tmp_path, ["%UPSTREAM_HOSTS%"])
    assert proc.returncode != 0
    assert "UPSTREAM_HOSTS" in proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", ["NO_ARGS"])
def test_commands_without_arguments_refuse_them(tmp_path, kind):
    name = next(n for n, k in commands() if k == kind)
    proc = validate(tmp_path, [f"%{name}(x)%"])
    assert proc.returncode != 0, name
