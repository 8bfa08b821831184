"""`envoy-gateway certgen` against a real kube-apiserver: the four Secrets of the
reference's certgen Job (envoy-gateway, envoy, envoy-rate-limit, envoy-oidc-hmac),
kept when present, a partial set refused, --overwrite issuing new ones; and the
Kubernetes-mode server serving xDS over mTLS with the envoy-gateway Secret's
certificate to an Envoy that holds the `envoy` Secret (as its Deployment mounts it),
following a rotation without a restart."""
import base64
import http.client
import socket
import ssl
import subprocess

import k8s_harness as h
from k8s_harness import Echo, service_with_endpoints, wait_for
from test_k8s_status import gateway, gateway_class, http_route, namespace

CERT_SECRETS = ("envoy-gateway", "envoy", "envoy-rate-limit")


def secret_files(kube, ns, name, directory):
    """The Secret's data written as files (what a volume mount shows)."""
    directory.mkdir(parents=True, exist_ok=True)
    for k, v in kube.get("Secret", name, ns)["data"].items():
        (directory / k).write_bytes(base64.b64decode(v))
    return directory


def openssl_out(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True)


def test_certgen_creates_keeps_and_overwrites_the_secrets(kube, controllers, env_ids, tmp_path):
    ns = env_ids["infra"]
    kube.create(namespace(ns))
    c = controllers(env_ids)
    r = c.certgen()
    assert r.returncode == 0, r.stderr
    for name in CERT_SECRETS:
        s = kube.get("Secret", name, ns)
        assert s["type"] == "kubernetes.io/tls"
        assert sorted(s["data"]) == ["ca.crt", "tls.crt", "tls.key"]
        d = secret_files(kube, ns, name, tmp_path / name)
        # One CA signs them all.
        v = openssl_out("verify", "-CAfile", str(d / "ca.crt"), str(d / "tls.crt"))
        assert v.returncode == 0, v.stdout + v.stderr
        assert (d / "ca.crt").read_bytes() == (tmp_path / "envoy-gateway" / "ca.crt").read_bytes()
    san = openssl_out("x509", "-noout", "-ext", "subjectAltName", "-in",
                      str(tmp_path / "envoy-gateway" / "tls.crt")).stdout
    names = {n.strip() for n in san.split("\n", 1)[1].split(",")}
    for dns in ("envoy-gateway", f"envoy-gateway.{ns}", f"envoy-gateway.{ns}.svc",
                f"envoy-gateway.{ns}.svc.cluster.local"):
        assert f"DNS:{dns}" in names, san
    assert f"DNS:*.{ns}" in openssl_out("x509", "-noout", "-ext", "subjectAltName", "-in",
                                        str(tmp_path / "envoy" / "tls.crt")).stdout
    hmac = kube.get("Secret", "envoy-oidc-hmac", ns)
    assert hmac["type"] == "Opaque"
    assert len(base64.b64decode(hmac["data"]["hmac-secret"])) == 32

    def versions():
        return {n: kube.get("Secret", n, ns)["metadata"]["resourceVersion"]
                for n in CERT_SECRETS + ("envoy-oidc-hmac",)}
    before = versions()
    # Idempotent: a second run keeps every Secret.
    r = c.certgen()
    assert r.returncode == 0, r.stderr
    assert "kept" in r.stdout
    assert versions() == before

    # A partial set is refused (a new CA would not verify the kept certificates).
    kube.delete("Secret", "envoy", ns)
    r = c.certgen()
    assert r.returncode == 1
    assert "envoy" in r.stderr and "--overwrite" in r.stderr, r.stderr
    assert kube.get("Secret", "envoy", ns) is None

    # --overwrite issues all three again from a new CA; the HMAC key stays.
    r = c.certgen("--overwrite")
    assert r.returncode == 0, r.stderr
    after = versions()
    for n in ("envoy-gateway", "envoy-rate-limit"):
        assert after[n] != before[n]
    assert after["envoy-oidc-hmac"] == before["envoy-oidc-hmac"]
    new_ca = secret_files(kube, ns, "envoy", tmp_path / "new-envoy") / "ca.crt"
    assert new_ca.read_bytes() != (tmp_path / "envoy-gateway" / "ca.crt").read_bytes()


def test_certgen_without_the_namespace_names_it(controllers, env_ids):
    c = controllers(env_ids)  # its namespace is never created
    r = c.certgen()
    assert r.returncode == 1
    assert env_ids["infra"] in r.stderr and "envoy-gateway" in r.stderr, r.stderr


def handshake(port, ca=None, cert=None):
    """A TLS handshake with the xDS port; the error text, or None when it succeeded."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["h2"])
    if ca:
        ctx.load_verify_locations(str(ca))
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(str(cert / "tls.crt"), str(cert / "tls.key"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            with ctx.wrap_socket(s) as t:
                # TLS 1.3: the server checks the client certificate after the
                # client's handshake ends; a read shows its verdict.
                t.settimeout(1.0)
                try:
                    t.recv(1)
                except socket.timeout:
                    pass
        return None
    except (ssl.SSLError, OSError) as e:
        return str(e) or type(e).__name__


def test_xds_over_mtls_with_the_certgen_secrets_and_rotation(kube, controllers, env_ids,
                                                             tmp_path):
    ids = env_ids
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    echo = Echo("alpha")
    try:
        service_with_endpoints(kube, ns, "alpha", echo)
        kube.create(http_route(ns, "route", backend="alpha"))
        c = controllers(ids)
        # The server waits for the Secret rather than invent certificates.
        c.start(insecure=False)
        c.wait_log("waiting for Secret envoy-gateway")
        r = c.certgen()
        assert r.returncode == 0, r.stderr
        c.wait_log("xDS certificates from Secret")
        c.wait_log("mTLS")
        envoy_certs = secret_files(kube, ids["infra"], "envoy", tmp_path / "certs")
        # Without a client certificate the xDS port refuses the handshake.
        wait_for(lambda: handshake(c.xds_port, envoy_certs / "ca.crt") is not None,
                 what="a client without certificate refused")
        assert handshake(c.xds_port, envoy_certs / "ca.crt", envoy_certs) is None

        envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy",
                                  certs_dir=envoy_certs)
        try:
            def served():
                if not envoy.alive():
                    raise AssertionError("envoy exited:\n" + envoy.output()[-3000:])
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                try:
                    conn.request("GET", "/hello", headers={"Host": "www.example.com"})
                    resp = conn.getresponse()
                    return resp.status == 200 and resp.getheader("x-backend") == "alpha"
                finally:
                    conn.close()
            wait_for(served, timeout=20, what="Envoy configured over mTLS serving the route")
            assert echo.hits >= 1
        finally:
            envoy.stop()

        # Rotation: new Secrets; the server serves the new certificate without a
        # restart, and the old CA no longer verifies it.
        old = tmp_path / "certs"
        r = c.certgen("--overwrite")
        assert r.returncode == 0, r.stderr
        c.wait_log("xDS certificates reloaded")
        new = secret_files(kube, ids["infra"], "envoy", tmp_path / "rotated")
        assert (new / "ca.crt").read_bytes() != (old / "ca.crt").read_bytes()
        assert handshake(c.xds_port, new / "ca.crt", new) is None
        assert handshake(c.xds_port, old / "ca.crt", old) is not None
        assert c.runs == 1 and c.proc.alive()
    finally:
        echo.close()
