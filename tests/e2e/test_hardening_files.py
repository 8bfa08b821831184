"""Hardening, item 2: the file provider under faults, with live traffic. A read
error keeps the last good content (reported in /api/status, retried); a watched
directory deleted and made again is watched anew; a file truncated and written
50 ms later never serves an empty configuration."""
import os
import shutil
import time

import pytest

from hardening_util import Load, http_route, simple_gateway, status_of


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    server = standalone("files")
    port, backends = simple_gateway(server, module_cleanup, hosts=("a.example", "b.example"))
    return server, port


def file_status(server, name):
    for f in server.admin_json("/api/status")["files"]:
        if f["path"].endswith("/" + name):
            return f
    return None


def test_truncate_then_write_never_serves_an_empty_file(gw):
    server, port = gw
    path = server.dir / "route-b.example.yaml"
    text = path.read_text()
    load = Load(port, "b.example", interval=0.001)
    for _ in range(8):
        with open(path, "w") as f:  # truncated here
            f.flush()
            time.sleep(0.05)
            f.write(text)
        time.sleep(0.1)
    time.sleep(0.5)
    load.stop()
    assert len(load.results) > 100
    assert load.failures() == [], f"{len(load.failures())} of {len(load.results)} failed"


def test_unreadable_file_keeps_its_last_good_version(gw):
    server, port = gw
    path = server.dir / "route-a.example.yaml"
    saved = path.read_text()
    load = Load(port, "a.example")
    try:
        # A link to itself: stat and open fail with ELOOP (as root, permissions would not).
        path.unlink()
        os.symlink(path.name, path)
        server.wait_until(lambda: (file_status(server, path.name) or {}).get("error"),
                          what="the read error reported")
        st = file_status(server, path.name)
        assert st["loaded"] and "Too many levels of symbolic links" in st["error"]
        time.sleep(1.5)  # a retry or two happen meanwhile
        assert status_of(port, "a.example")[0] == 200
    finally:
        path.unlink()
        path.write_text(saved)
    server.wait_until(lambda: file_status(server, path.name)["error"] is None,
                      what="the error cleared after the file is readable again")
    results = load.stop()
    assert results and load.failures() == [], load.failures()[:5]
    assert "cannot stat" in server.proc.output()


def test_unreadable_directory_keeps_everything(gw):
    server, port = gw
    real = server.dir.with_name("resources.real")
    load = Load(port, "b.example")
    try:
        os.rename(server.dir, real)
        os.symlink(server.dir.name, server.dir)  # the directory path loops
        server.wait_until(lambda: "cannot stat" in (file_status(server, "route-b.example.yaml")
                                                    or {}).get("error", "") or
                          "cannot list" in (file_status(server, "route-b.example.yaml")
                                            or {}).get("error", ""),
                          what="the directory error reported on its files")
        time.sleep(1.5)
    finally:
        os.unlink(server.dir)
        os.rename(real, server.dir)
    server.wait_until(lambda: file_status(server, "route-b.example.yaml")["error"] is None,
                      what="the error cleared")
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]


def test_replaced_directory_is_watched_again(gw, tmp_path):
    server, port = gw
    keep = tmp_path / "copy"
    shutil.copytree(server.dir, keep)
    load = Load(port, "a.example")
    # What deploy tools do: remove, recreate, copy.
    shutil.rmtree(server.dir)
    os.mkdir(server.dir)
    for f in keep.iterdir():
        shutil.copy(f, server.dir / f.name)
    time.sleep(1.0)
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]
    # A later edit in the new directory is applied.
    server.write("route-c.yaml", [http_route("c", "c.example", "a")])
    server.wait_until(lambda: status_of(port, "c.example")[0] == 200, timeout=15,
                      what="an edit in the recreated directory applied")
