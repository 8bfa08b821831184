"""The README's main command: scripts/run.sh starts the gateway on the shipped
example (examples/quickstart) and prints the curl that shows it working. Run
here without set-up (the suite already built everything), on free ports; the
printed curl must get the example backend's answer, and SIGTERM must stop
the script, the server, its Envoy and the backend."""
import os
import re
import shlex
import signal
import subprocess

from conftest import ROOT, build_dir, free_port, kill_recorded_envoys, wait_for

import pytest


def test_run_sh_serves_the_example_and_prints_a_working_curl(tmp_path):
    build = build_dir()
    if build is None:
        pytest.skip("envoy-gateway is not built")
    out = tmp_path / "run.out"
    work = tmp_path / "work"
    port, backend_port = free_port(), free_port()
    args = ["scripts/run.sh", "--no-setup", "--build-dir", str(build), "--work-dir", str(work),
            "--port", str(port), "--backend-port", str(backend_port),
            "--admin-port", str(free_port()), "--xds-port", str(free_port())]
    with open(out, "wb") as f, open(tmp_path / "run.err", "wb") as err:
        run = subprocess.Popen(args, cwd=ROOT, stdout=f, stderr=err, start_new_session=True)
    try:
        printed = wait_for(lambda: re.search(r"^\s*(curl .*)$", out.read_text(), re.M)
                           or run.poll() is not None and
                           pytest.fail((tmp_path / "run.err").read_text()[-3000:]),
                           timeout=60, what="the curl line")
        curl = shlex.split(printed.group(1))
        assert f"http://127.0.0.1:{port}/" in printed.group(1)
        answer = subprocess.run(curl + ["-sS", "--max-time", "5"], capture_output=True,
                                text=True, check=True).stdout
        assert answer == "Hello from the quickstart backend: GET /hello\n"

        run.send_signal(signal.SIGTERM)
        assert run.wait(20) in (0, 130, 143)
        log = (tmp_path / "run.err").read_text()
        assert "drained after" in log and "stopped" in log
        assert subprocess.run(curl + ["-sS", "--max-time", "2"], capture_output=True).returncode
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        kill_recorded_envoys(work)
        try:
            os.killpg(run.pid, signal.SIGKILL)  # the backend and server, if left
        except ProcessLookupError:
            pass
