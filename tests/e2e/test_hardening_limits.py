"""Hardening, item 6: bounded input. `egctl -f /dev/zero` ends with a message (not an
OOM kill) under a 2 GB address-space limit; the server refuses a resource file or a
document above its configured maximum, reports it on the file, and keeps serving
the file's last good version."""
import pathlib
import resource
import subprocess
import time

import pytest

from conftest import build_dir
from hardening_util import Load, http_route, simple_gateway, start_server, status_of


def egctl():
    return str(build_dir() / "egctl")


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_egctl_dev_zero_ends_with_a_message():
    t0 = time.monotonic()
    r = subprocess.run([egctl(), "x", "translate", "-f", "/dev/zero"], capture_output=True,
                       text=True, timeout=60, preexec_fn=limit_memory)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "larger than 268435456 bytes" in r.stderr and "--max-file-size" in r.stderr
    assert time.monotonic() - t0 < 30


def test_egctl_max_file_and_document_size(tmp_path):
    f = tmp_path / "in.yaml"
    f.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n"
                 "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"
                 "  labels:\n    big: " + "x" * 500 + "\n")
    r = subprocess.run([egctl(), "x", "translate", "-f", f, "--max-document-size", "200"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "document 2, line 5" in r.stderr and "more than the 200 allowed" in r.stderr
    r = subprocess.run([egctl(), "x", "translate", "-f", f, "--max-file-size=100"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "larger than 100 bytes" in r.stderr
    r = subprocess.run([egctl(), "x", "translate", "-f", f], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    server = start_server(standalone, "limits", ["--max-file-size", 20000,
                                                 "--max-document-size", 8000])
    port, _ = simple_gateway(server, module_cleanup, hosts=("a.example",))
    return server, port


def file_error(server, name):
    for f in server.admin_json("/api/status")["files"]:
        if f["path"].endswith("/" + name):
            return f["error"]
    return None


def test_server_refuses_an_oversized_file_and_keeps_serving(gw):
    server, port = gw
    name = "route-a.example.yaml"
    good = (server.dir / name).read_text()
    load = Load(port, "a.example")
    padding = "# " + "x" * 30000 + "\n"
    server.write(name, good + padding)
    server.wait_until(lambda: "maximum file size of 20000" in (file_error(server, name) or ""),
                      what="the size error reported")
    time.sleep(0.5)
    assert status_of(port, "a.example")[0] == 200
    # A document over the document limit in a file under the file limit.
    big_route = http_route("a", "a.example", "a")
    big_route["metadata"]["annotations"] = {"pad": "y" * 9000}
    server.write(name, [big_route])
    server.wait_until(lambda: "more than the 8000 allowed" in (file_error(server, name) or ""),
                      what="the document size error reported")
    assert status_of(port, "a.example")[0] == 200
    server.write(name, good)
    server.wait_until(lambda: file_error(server, name) is None, what="back to normal")
    load.stop()
    assert load.results and load.failures() == []
