"""A small writer of MaxMind DB files (.mmdb, format 2.0), for tests that
need a GeoIP database Envoy's MaxMind provider can open: IPv4 networks
mapped to records (dicts of strings, booleans, integers, lists).

    write_mmdb(path, "GeoLite2-City", {
        "10.1.0.0/16": {"country": {"iso_code": "US"},
                        "city": {"names": {"en": "Seattle"}}},
    })

The file is what the format describes: a binary search tree over the
address bits (24-bit records, IPv4 tree), 16 zero bytes, the data section,
then the metadata marker and the metadata map. Networks must not overlap."""
import ipaddress
import time

# Data section type numbers (the format's own).
_POINTER, _STRING, _DOUBLE, _BYTES, _UINT16, _UINT32, _MAP = 1, 2, 3, 4, 5, 6, 7
_UINT64, _ARRAY, _BOOLEAN = 9, 11, 14

_METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
_RECORD_BITS = 24


class Uint(int):
    """An unsigned integer stored with a given type (the metadata needs
    uint16 / uint32 / uint64 exactly)."""

    def __new__(cls, value, type_number):
        obj = super().__new__(cls, value)
        obj.type_number = type_number
        return obj


def _control(type_number, size):
    """The control byte(s) opening a field of `type_number` and `size`."""
    if type_number <= 7:
        first, extended = type_number << 5, b""
    else:
        first, extended = 0, bytes([type_number - 7])
    if size < 29:
        first |= size
        tail = b""
    elif size < 29 + 256:
        first |= 29
        tail = bytes([size - 29])
    elif size < 285 + 65536:
        first |= 30
        tail = (size - 285).to_bytes(2, "big")
    else:
        first |= 31
        tail = (size - 65821).to_bytes(3, "big")
    return bytes([first]) + extended + tail


def _unsigned(value, type_number):
    payload = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return _control(type_number, len(payload)) + payload


def encode(value):
    """One value in the data section's encoding."""
    if isinstance(value, bool):
        return _control(_BOOLEAN, int(value))
    if isinstance(value, Uint):
        return _unsigned(int(value), value.type_number)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative integers are not supported")
        kind = _UINT16 if value < 1 << 16 else _UINT32 if value < 1 << 32 else _UINT64
        return _unsigned(value, kind)
    if isinstance(value, str):
        raw = value.encode()
        return _control(_STRING, len(raw)) + raw
    if isinstance(value, bytes):
        return _control(_BYTES, len(value)) + value
    if isinstance(value, dict):
        out = _control(_MAP, len(value))
        for k, v in value.items():
            out += encode(str(k)) + encode(v)
        return out
    if isinstance(value, (list, tuple)):
        out = _control(_ARRAY, len(value))
        for v in value:
            out += encode(v)
        return out
    raise TypeError(f"cannot encode {type(value).__name__}")


def _tree(networks):
    """The search tree: nodes as [left, right], each None (no data), ("node",
    index) or ("data", offset into the data section)."""
    nodes = [[None, None]]
    for net, offset in networks:
        bits = int(net.network_address)
        node = 0
        for depth in range(net.prefixlen):
            bit = (bits >> (31 - depth)) & 1
            if depth == net.prefixlen - 1:
                if nodes[node][bit] is not None:
                    raise ValueError(f"{net} overlaps another network")
                nodes[node][bit] = ("data", offset)
                break
            child = nodes[node][bit]
            if child is None:
                nodes.append([None, None])
                child = ("node", len(nodes) - 1)
                nodes[node][bit] = child
            elif child[0] != "node":
                raise ValueError(f"{net} overlaps another network")
            node = child[1]
    return nodes


def write_mmdb(path, database_type, records):
    """Writes `records` ({"a.b.c.d/len": dict}) as an IPv4 MaxMind DB."""
    data = b""
    networks = []
    for cidr, record in records.items():
        networks.append((ipaddress.IPv4Network(cidr), len(data)))
        data += encode(record)
    nodes = _tree(networks)
    count = len(nodes)

    def record_value(r):
        if r is None:
            return count
        if r[0] == "node":
            return r[1]
        return count + 16 + r[1]

    tree = b""
    for left, right in nodes:
        for r in (left, right):
            v = record_value(r)
            if v >= 1 << _RECORD_BITS:
                raise ValueError("database too large for 24-bit records")
            tree += v.to_bytes(3, "big")
    metadata = {
        "node_count": Uint(count, _UINT32),
        "record_size": Uint(_RECORD_BITS, _UINT16),
        "ip_version": Uint(4, _UINT16),
        "database_type": database_type,
        "languages": ["en"],
        "binary_format_major_version": Uint(2, _UINT16),
        "binary_format_minor_version": Uint(0, _UINT16),
        "build_epoch": Uint(int(time.time()), _UINT64),
        "description": {"en": f"test {database_type} database"},
    }
    with open(path, "wb") as f:
        f.write(tree + b"\0" * 16 + data + _METADATA_MARKER + encode(metadata))
