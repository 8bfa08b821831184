"""SecurityPolicy authorization on client geolocations
(`spec.authorization.rules[].principal.clientIPGeoLocations`), enforced by a
real Envoy programmed by our standalone server. The Gateway's EnvoyProxy
names two MaxMind databases the test writes (tests/e2e/mmdb_writer.py): a
City database and an Anonymous-IP database mapping private networks to
countries, cities and VPN/proxy flags. A ClientTrafficPolicy takes the client
address from X-Forwarded-For (one trusted hop), so each request chooses
where it comes from; on a second listener, from the x-real-client-ip header.

Asserted: allowed vs refused (403) by country (case-insensitively), by city
and VPN flag together, by an anonymous-proxy Deny rule; a client cannot get
through by sending the internal x-eg-internal-geoip-* headers itself; the
backend never sees those headers. A second Gateway, whose EnvoyProxy names a
database file that does not exist, gets its policy refused (Envoy cannot
start the geoip filter without it) and its route answers 500. Every refusal
also asserts the backend never saw the request."""
import http.client
import json

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway
from conftest import free_port
from mmdb_writer import write_mmdb

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"

# Where each test network is. 10.9.0.0/16 is in neither database.
SEATTLE_PROXY = "10.1.0.7"    # US, Seattle, a public proxy
LONDON = "10.2.0.7"           # GB, London
LONDON_VPN = "10.3.0.7"       # GB, London, a VPN exit
PARIS = "10.4.0.7"            # FR, Paris
BERLIN = "10.5.0.7"           # DE, Berlin, a hosting provider
NOWHERE = "10.9.0.7"

CITIES = {
    "10.1.0.0/16": ("US", "Seattle", "US-WA"),
    "10.2.0.0/16": ("GB", "London", "GB-ENG"),
    "10.3.0.0/16": ("GB", "London", "GB-ENG"),
    "10.4.0.0/16": ("FR", "Paris", "FR-IDF"),
    "10.5.0.0/16": ("DE", "Berlin", "DE-BE"),
    "127.0.0.0/8": ("AQ", "Loopback", "AQ-X"),
}
ANONYMOUS = {  # (is_anonymous_vpn, is_public_proxy, is_hosting_provider)
    "10.1.0.0/16": (False, True, False),
    "10.2.0.0/16": (False, False, False),
    "10.3.0.0/16": (True, False, False),
    "10.4.0.0/16": (False, False, False),
    "10.5.0.0/16": (False, False, True),
    "127.0.0.0/8": (False, False, False),
}


def write_databases(directory):
    city = directory / "GeoLite2-City.mmdb"
    anon = directory / "GeoIP2-Anonymous-IP.mmdb"
    write_mmdb(city, "GeoLite2-City", {
        net: {"country": {"iso_code": cc, "names": {"en": cc}},
              "city": {"names": {"en": name}},
              "subdivisions": [{"iso_code": region.split("-")[1]}]}
        for net, (cc, name, region) in CITIES.items()})
    write_mmdb(anon, "GeoIP2-Anonymous-IP", {
        net: {"is_anonymous": vpn or proxy or hosting, "is_anonymous_vpn": vpn,
              "is_public_proxy": proxy, "is_hosting_provider": hosting,
              "is_tor_exit_node": False}
        for net, (vpn, proxy, hosting) in ANONYMOUS.items()})
    return city, anon


def route(name):
    return {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, rules, default="Deny"):
    return {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": name}],
                     "authorization": {"defaultAction": default, "rules": rules}}}


def missing_database_fleet(port):
    """A second Gateway whose EnvoyProxy names a City database that does not
    exist: Envoy could not start the geoip filter, so its policy is refused."""
    return [
        {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "nodb"},
         "spec": {"controllerName": CONTROLLER,
                  "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                    "name": "nodb", "namespace": "default"}}},
        {"apiVersion": POLICY_API, "kind": "EnvoyProxy",
         "metadata": {"name": "nodb", "namespace": "default"},
         "spec": {"geoIP": {"provider": {"type": "MaxMind", "maxMind": {
             "cityDbSource": {"local": {"path": "/nonexistent/GeoLite2-City.mmdb"}}}}}}},
        gateway("nodb", [{"name": "http", "protocol": "HTTP", "port": port}],
                class_name="nodb"),
        {"apiVersion": POLICY_API, "kind": "ClientTrafficPolicy",
         "metadata": {"name": "nodb-xff", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                  "name": "nodb"}],
                  "clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}}},
        {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
         "metadata": {"name": "nodb", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "nodb"}], "hostnames": ["nodb.example"],
                  "rules": [{"backendRefs": [backend_ref("echo")]}]}},
        policy("nodb", [{"name": "us-only", "action": "Allow",
                         "principal": {"clientIPGeoLocations": [{"country": "US"}]}}]),
    ]


def resources(city, anon, port, header_port):
    return [
        {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "eg"},
         "spec": {"controllerName": CONTROLLER,
                  "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                    "name": "geo", "namespace": "default"}}},
        {"apiVersion": POLICY_API, "kind": "EnvoyProxy",
         "metadata": {"name": "geo", "namespace": "default"},
         "spec": {"geoIP": {"provider": {"type": "MaxMind", "maxMind": {
             "cityDbSource": {"local": {"path": str(city)}},
             "anonymousIpDbSource": {"local": {"path": str(anon)}}}}}}},
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port},
                       {"name": "header", "protocol": "HTTP", "port": header_port}]),
        {"apiVersion": POLICY_API, "kind": "ClientTrafficPolicy",
         "metadata": {"name": "xff", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                  "name": "eg"}],
                  "clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}}},
        # the second listener takes the client address from a header of its own
        {"apiVersion": POLICY_API, "kind": "ClientTrafficPolicy",
         "metadata": {"name": "real-ip", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                  "name": "eg", "sectionName": "header"}],
                  "clientIPDetection": {"customHeader": {"name": "x-real-client-ip"}}}},
        *(route(n) for n in ("country", "city", "anon", "open")),
        # lower case on purpose: names compare case-insensitively
        policy("country", [{"name": "us-only", "action": "Allow",
                            "principal": {"clientIPGeoLocations": [{"country": "us"}]}}]),
        # London not through a VPN, or Paris
        policy("city", [{"name": "london-or-paris", "action": "Allow", "principal": {
            "clientIPGeoLocations": [
                {"country": "GB", "city": "London", "anonymous": {"isVPN": False}},
                {"city": "Paris"}]}}]),
        # everyone but public proxies and hosting providers
        policy("anon", [{"name": "no-proxies", "action": "Deny", "principal": {
            "clientIPGeoLocations": [{"anonymous": {"isProxy": True}},
                                     {"anonymous": {"isHosting": True}}]}}],
               default="Allow"),
    ]


def request(port, host, client, headers=None):
    """GET / from `client` (given as X-Forwarded-For; None: no such header)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        xff = {"X-Forwarded-For": client} if client else {}
        conn.request("GET", "/", headers={"Host": host, **xff, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    city, anon = write_databases(tmp_path_factory.mktemp("geoip-db"))
    server = standalone("security-geoip")
    port = free_port()
    server.write("backends.yaml", backend_resource("echo", echo.port))
    nodb_port, header_port = free_port(), free_port()
    server.write("all.yaml", resources(city, anon, port, header_port)
                 + missing_database_fleet(nodb_port))
    server.wait_until(lambda: request(port, "open.example", NOWHERE)[0] == 200
                      and request(port, "country.example", PARIS)[0] == 403,
                      timeout=30, what="geolocation authorization enforced")
    server.wait_until(lambda: request(nodb_port, "nodb.example", SEATTLE_PROXY)[0] == 500,
                      timeout=30, what="the route of the refused policy answers 500")

    class Gw:
        pass
    g = Gw()
    g.port, g.echo, g.server, g.nodb_port = port, echo, server, nodb_port
    g.header_port = header_port
    g.reached = lambda host: len(echo.seen(lambda r: r["headers"].get("host") == host))
    return g


def refused(gw, host, client, headers=None):
    before = gw.reached(host)
    status, body = request(gw.port, host, client, headers)
    assert status == 403, (client, status, body)
    assert gw.reached(host) == before, "the backend was reached"


def served(gw, host, client, headers=None):
    status, body = request(gw.port, host, client, headers)
    assert status == 200, (client, status, body)
    seen = json.loads(body)
    assert seen["backend"] == "echo"
    return seen["headers"]


def policy_accepted(gw, name):
    for item in gw.server.admin_json("/api/status")["resources"]:
        if item["kind"] == "SecurityPolicy" and item["name"] == name:
            conds = {c["type"]: c for c in item["status"]["ancestors"][0]["conditions"]}
            return conds["Accepted"]
    raise AssertionError(f"no status for SecurityPolicy {name}")


def test_policies_are_accepted(gw):
    for name in ("country", "city", "anon"):
        assert policy_accepted(gw, name)["status"] == "True", name


def test_missing_database_refuses_the_policy(gw):
    cond = policy_accepted(gw, "nodb")
    assert (cond["status"], cond["reason"]) == ("False", "Invalid"), cond
    assert "cityDbSource.local.path /nonexistent/GeoLite2-City.mmdb" in cond["message"], cond
    before = gw.reached("nodb.example")
    status, _ = request(gw.nodb_port, "nodb.example", SEATTLE_PROXY)
    assert status == 500
    assert gw.reached("nodb.example") == before
    # the other fleet's Envoy is not affected
    served(gw, "country.example", SEATTLE_PROXY)


def test_country_rule(gw):
    served(gw, "country.example", SEATTLE_PROXY)
    for client in (LONDON, PARIS, BERLIN, NOWHERE):
        refused(gw, "country.example", client)


def test_city_with_vpn_flag_and_any_of_locations(gw):
    served(gw, "city.example", LONDON)
    served(gw, "city.example", PARIS)
    refused(gw, "city.example", LONDON_VPN)  # London, but through a VPN
    refused(gw, "city.example", SEATTLE_PROXY)
    refused(gw, "city.example", BERLIN)
    refused(gw, "city.example", NOWHERE)


def test_anonymous_deny_rule(gw):
    refused(gw, "anon.example", SEATTLE_PROXY)  # a public proxy
    refused(gw, "anon.example", BERLIN)  # a hosting provider
    served(gw, "anon.example", LONDON)
    served(gw, "anon.example", LONDON_VPN)
    served(gw, "anon.example", NOWHERE)  # nothing known: not a proxy


def test_client_cannot_claim_a_location(gw):
    forged = {"x-eg-internal-geoip-country": "US", "x-eg-internal-geoip-city": "Paris",
              "x-eg-internal-geoip-anon-vpn": "false"}
    # the lookup overwrites what the client sent
    refused(gw, "country.example", BERLIN, forged)
    refused(gw, "city.example", BERLIN, forged)
    served(gw, "anon.example", LONDON, {"x-eg-internal-geoip-anon-proxy": "true"})
    # and so does a lookup that finds nothing
    refused(gw, "country.example", NOWHERE, forged)
    refused(gw, "city.example", NOWHERE, forged)


def test_backend_never_sees_internal_headers(gw):
    for host, client in (("country.example", SEATTLE_PROXY), ("city.example", LONDON),
                         ("anon.example", LONDON), ("open.example", LONDON)):
        headers = served(gw, host, client, {"x-eg-internal-geoip-country": "US"})
        leaked = [h for h in headers if h.lower().startswith("x-eg-internal-geoip")]
        assert not leaked, (host, leaked)


def test_client_address_from_a_custom_header(gw):
    def status(headers):
        return request(gw.header_port, "country.example", None, headers)[0]
    assert status({"x-real-client-ip": SEATTLE_PROXY}) == 200
    assert status({"x-real-client-ip": PARIS}) == 403
    # X-Forwarded-For means nothing on this listener: the peer (loopback) is looked up
    assert status({"X-Forwarded-For": SEATTLE_PROXY}) == 403
