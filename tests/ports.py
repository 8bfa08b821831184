"""Loopback ports for the listeners a test asks the gateway (that is, Envoy) to open.

A port found free by binding port 0 is in the kernel's ephemeral range, where every
other bind(0) and outgoing connection takes its ports too: between the test's check and
Envoy's bind, the server, an Envoy admin endpoint or a backend may get the same port, and
the listener then fails to bind while another program answers on it. So listener ports
are drawn below that range, where only explicit binds go, checked free for TCP and UDP,
and never handed out twice in one run."""
import random
import socket

_given = set()
_rng = random.SystemRandom()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free(port, kind):
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def listener_port():
    """A port free on 127.0.0.1 for both TCP and UDP, outside the ephemeral range when
    the range leaves room below it (else from bind(0), as before)."""
    low = _ephemeral_low()
    for _ in range(1000):
        if low > 11000:
            port = _rng.randrange(10000, low)
        else:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        if port in _given or not _free(port, socket.SOCK_STREAM) or \
                not _free(port, socket.SOCK_DGRAM):
            continue
        _given.add(port)
        return port
    raise RuntimeError("no free loopback port found")
