#!/usr/bin/env python3
"""Turns the OpenAPI schemas of the CRDs into validation tables for src/validate.

    gen_crd_validation.py OUT.c CRD_DIR...

Reads every CustomResourceDefinition under the directories (the reference's CRDs in
../shared/reference/crds at build time; nothing generated is committed) and writes
C tables: schema nodes (type, enum, pattern, lengths, ranges, required, items,
properties, additionalProperties), shared between identical subtrees, and the
CEL rules (x-kubernetes-validations) that use only the forms src/validate/cel.c
evaluates, parsed here into expression nodes. Rules comparing with oldSelf
(transition rules) are left out: a file has no old version. When a directory is
missing, the tables are empty and the build says so; validation is then off.
"""
import glob
import json
import os
import re
import sys

import yaml

# ---- CEL: a Pratt parser for the subset we evaluate ----

TOKEN = re.compile(r"""\s*(?:
    (?P<num>\d+\.\d+|\d+)(?P<unsigned>u)?
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()\[\]{}])
)""", re.X)

METHODS = {"size", "contains", "startsWith", "endsWith", "matches", "all", "exists",
           "exists_one", "filter", "map", "lowerAscii", "upperAscii"}
FUNCTIONS = {"has", "size", "duration", "int", "string", "double", "isURL", "url"}
MACROS = {"all", "exists", "exists_one", "filter", "map"}


class Unsupported(Exception):
    pass


# Rules of the development CRDs that would refuse the released shape users write.
# sessionPersistence there carries `cookie`/`header` objects; Gateway API v1.3, the
# reference's docs and its e2e manifests use `sessionName` and `cookieConfig`, which
# those rules cannot see, so requiring `cookie` or `header` would refuse valid routes.
RELEASED_SHAPE_CONFLICTS = {
    "cookie must be specified for Cookie type",
    "header must be specified for Header type",
}


def unescape(body):
    """CEL string escapes; an unknown one keeps its backslash (regex text)."""
    out, i = [], 0
    simple = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(simple.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot read {text[pos:pos + 10]!r}")
        pos = m.end()
        if m.group("num"):
            out.append(("num", m.group("num")))
        elif m.group("str"):
            s = m.group("str")
            out.append(("str", unescape(s[1:-1])))
        elif m.group("id"):
            out.append(("id", m.group("id")))
        else:
            out.append(("op", m.group("op")))
    out.append(("end", None))
    return out


BINARY = {"||": 1, "&&": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
          "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, value=None):
        t = self.toks[self.i]
        if (kind and t[0] != kind) or (value is not None and t[1] != value):
            raise Unsupported(f"expected {value or kind}, got {t[1]!r}")
        self.i += 1
        return t

    def parse(self):
        e = self.expr()
        self.take("end")
        return e

    def expr(self):
        cond = self.binary(1)
        if self.peek() == ("op", "?"):
            self.take()
            a = self.expr()
            self.take("op", ":")
            b = self.expr()
            return ("cond", cond, a, b)
        return cond

    def binary(self, min_prec):
        left = self.unary()
        while True:
            t = self.peek()
            op = t[1] if t[0] in ("op", "id") else None
            prec = BINARY.get(op) if op else None
            if prec is None or prec < min_prec or (t[0] == "id" and op != "in"):
                return left
            self.take()
            right = self.binary(prec + 1)
            left = ("bin", op, left, right)

    def unary(self):
        t = self.peek()
        if t == ("op", "!"):
            self.take()
            return ("not", self.unary())
        if t == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def args(self):
        out = []
        self.take("op", "(")
        if self.peek() != ("op", ")"):
            out.append(self.expr())
            while self.peek() == ("op", ","):
                self.take()
                out.append(self.expr())
        self.take("op", ")")
        return out

    def primary(self):
        t = self.take()
        if t[0] == "num":
            return ("dbl", float(t[1])) if "." in t[1] else ("int", int(t[1]))
        if t[0] == "str":
            return ("str", t[1])
        if t == ("op", "("):
            e = self.expr()
            self.take("op", ")")
            return e
        if t == ("op", "["):
            items = []
            if self.peek() != ("op", "]"):
                items.append(self.expr())
                while self.peek() == ("op", ","):
                    self.take()
                    items.append(self.expr())
            self.take("op", "]")
            return ("list", items)
        if t[0] == "id":
            name = t[1]
            if name in ("true", "false"):
                return ("bool", name == "true")
            if name == "null":
                return ("null",)
            if name == "oldSelf":
                raise Unsupported("transition rule")
            if self.peek() == ("op", "("):
                if name not in FUNCTIONS:
                    raise Unsupported(f"function {name}")
                args = self.args()
                if name == "has":
                    if len(args) != 1 or args[0][0] != "sel":
                        raise Unsupported("has() of something else than a field")
                    return ("has", args[0][1], args[0][2])
                return ("call", name, None, args)
            return ("id", name)
        raise Unsupported(f"unexpected {t[1]!r}")

    def postfix(self, e):
        while True:
            t = self.peek()
            if t == ("op", "."):
                self.take()
                name = self.take("id")[1]
                if self.peek() == ("op", "("):
                    if name not in METHODS:
                        raise Unsupported(f"method {name}")
                    if name in MACROS:
                        self.take("op", "(")
                        var = self.take("id")[1]
                        self.take("op", ",")
                        body = self.expr()
                        self.take("op", ")")
                        e = ("macro", name, e, var, body)
                    else:
                        e = ("call", name, e, self.args())
                else:
                    e = ("sel", e, name)
            elif t == ("op", "["):
                self.take()
                idx = self.expr()
                self.take("op", "]")
                e = ("index", e, idx)
            else:
                return e


# ---- tables ----

def c_str(s):
    if s is None:
        return "NULL"
    out = '"'
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c in '"\\':
            out += "\\" + c
        elif 32 <= ch < 127 and c != "?":
            out += c
        else:
            out += "\\%03o" % ch
    return out + '"'


class Tables:
    def __init__(self):
        self.nodes, self.node_ids = [], {}
        self.props = []
        self.strs = []
        self.rules = []
        self.exprs = []
        self.kept_rules = self.skipped_rules = 0

    def str_list(self, values):
        start = len(self.strs)
        self.strs.extend(values)
        return start, len(values)

    def expr(self, e):
        """Appends the expression tree, returns its index. Node: op, a, b, c, s, i, d."""
        kind = e[0]
        if kind in ("int", "dbl", "str", "bool", "null", "id"):
            row = {"op": kind, "s": e[1] if kind in ("str", "id") else None,
                   "i": int(e[1]) if kind in ("int", "bool") else 0,
                   "d": e[1] if kind == "dbl" else 0.0}
        elif kind == "list":
            items = [self.expr(x) for x in e[1]]
            row = {"op": "list", "args": items}
        elif kind == "sel":
            row = {"op": "sel", "a": self.expr(e[1]), "s": e[2]}
        elif kind == "has":
            row = {"op": "has", "a": self.expr(e[1]), "s": e[2]}
        elif kind == "index":
            row = {"op": "index", "a": self.expr(e[1]), "b": self.expr(e[2])}
        elif kind == "not":
            row = {"op": "not", "a": self.expr(e[1])}
        elif kind == "neg":
            row = {"op": "neg", "a": self.expr(e[1])}
        elif kind == "bin":
            row = {"op": "bin", "s": e[1], "a": self.expr(e[2]), "b": self.expr(e[3])}
        elif kind == "cond":
            row = {"op": "cond", "a": self.expr(e[1]), "b": self.expr(e[2]),
                   "c": self.expr(e[3])}
        elif kind == "call":
            recv = self.expr(e[2]) if e[2] is not None else -1
            row = {"op": "call", "s": e[1], "a": recv, "args": [self.expr(x) for x in e[3]]}
        elif kind == "macro":
            row = {"op": "macro", "s": e[1], "a": self.expr(e[2]), "v": e[3],
                   "b": self.expr(e[4])}
        else:
            raise Unsupported(kind)
        args = row.pop("args", None)
        if args is not None:
            # arguments are consecutive rows of kind "arg" pointing at their value
            first = len(self.exprs)
            for a in args:
                self.exprs.append({"op": "arg", "a": a})
            row["b" if row["op"] == "call" else "a"] = first
            row["i"] = len(args)
        self.exprs.append(row)
        return len(self.exprs) - 1

    def node(self, schema):
        if not isinstance(schema, dict):
            return -1
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in self.node_ids:
            return self.node_ids[key]
        t = schema.get("type")
        if schema.get("x-kubernetes-int-or-string"):
            t = "int-or-string"
        props = schema.get("properties") or {}
        children = sorted((name, self.node(sub)) for name, sub in props.items())
        prop_start = len(self.props)
        self.props.extend(children)
        items = self.node(schema.get("items")) if isinstance(schema.get("items"), dict) else -1
        addl = schema.get("additionalProperties")
        addl_node = self.node(addl) if isinstance(addl, dict) else -1
        enum = schema.get("enum")
        enum_values = [str(v) if not isinstance(v, bool) else ("true" if v else "false")
                       for v in enum] if enum else []
        rules = []
        for v in schema.get("x-kubernetes-validations") or []:
            if v.get("message") in RELEASED_SHAPE_CONFLICTS:
                self.skipped_rules += 1
                continue
            try:
                tree = Parser(v["rule"]).parse()
                rules.append((self.expr(tree), v.get("message"), v.get("rule"),
                              v.get("fieldPath"), v.get("reason")))
                self.kept_rules += 1
            except (Unsupported, RecursionError):
                self.skipped_rules += 1
        rule_start = len(self.rules)
        self.rules.extend(rules)
        row = {
            "type": t or "",
            "props": (prop_start, len(children)),
            "required": self.str_list(sorted(schema.get("required") or [])),
            "enum": self.str_list(enum_values),
            "items": items,
            "addl": addl_node,
            "pattern": schema.get("pattern"),
            "format": schema.get("format"),
            "min_len": schema.get("minLength", -1),
            "max_len": schema.get("maxLength", -1),
            "min_items": schema.get("minItems", -1),
            "max_items": schema.get("maxItems", -1),
            "min_props": schema.get("minProperties", -1),
            "max_props": schema.get("maxProperties", -1),
            "minimum": schema.get("minimum"),
            "maximum": schema.get("maximum"),
            "excl_min": bool(schema.get("exclusiveMinimum")),
            "excl_max": bool(schema.get("exclusiveMaximum")),
            "nullable": bool(schema.get("nullable")),
            "preserve": bool(schema.get("x-kubernetes-preserve-unknown-fields")),
            "rules": (rule_start, len(rules)),
            "default": json.dumps(schema["default"], sort_keys=True) if "default" in schema
            else None,
        }
        self.nodes.append(row)
        self.node_ids[key] = len(self.nodes) - 1
        return len(self.nodes) - 1


TYPES = {"": "CRD_ANY", "object": "CRD_OBJECT", "array": "CRD_ARRAY", "string": "CRD_STRING",
         "integer": "CRD_INTEGER", "number": "CRD_NUMBER", "boolean": "CRD_BOOLEAN",
         "int-or-string": "CRD_INT_OR_STRING"}
OPS = {"int": "CEL_INT", "dbl": "CEL_DOUBLE", "str": "CEL_STRING", "bool": "CEL_BOOL",
       "null": "CEL_NULL", "id": "CEL_IDENT", "list": "CEL_LIST", "sel": "CEL_SELECT",
       "has": "CEL_HAS", "index": "CEL_INDEX", "not": "CEL_NOT", "neg": "CEL_NEG",
       "bin": "CEL_BINARY", "cond": "CEL_COND", "call": "CEL_CALL", "macro": "CEL_MACRO",
       "arg": "CEL_ARG"}


def num(v):
    return "0" if v is None else repr(float(v))


def write(out_path, tables, roots, sources):
    w = []
    w.append("/* Generated by tools/gen_crd_validation.py from the CRDs in:")
    for s in sources:
        w.append(f" *   {s}")
    w.append(" * Do not edit, do not commit. */")
    w.append('#include "validate/crd_tables.h"\n')
    w.append(f"const size_t crd_n_roots = {len(roots)};")
    w.append(f"const crd_root crd_roots[{max(len(roots), 1)}] = {{")
    for g, v, k, n in roots:
        w.append(f"    {{{c_str(g)}, {c_str(v)}, {c_str(k)}, {n}}},")
    if not roots:
        w.append("    {NULL, NULL, NULL, -1},")
    w.append("};")
    w.append(f"const crd_node crd_nodes[{max(len(tables.nodes), 1)}] = {{")
    for n in tables.nodes:
        mn, mx = n["minimum"], n["maximum"]
        w.append(
            "    {%s, %d, %d, %d, %d, %d, %d, %d, %d, %s, %s, %d, %d, %d, %d, %d, %d, %d, %d, "
            "%s, %s, %d, %d, %d, %d, %d, %d, %s}," % (
                TYPES.get(n["type"], "CRD_ANY"), n["props"][0], n["props"][1],
                n["required"][0], n["required"][1], n["enum"][0], n["enum"][1], n["items"],
                n["addl"], c_str(n["pattern"]), c_str(n["format"]), n["min_len"], n["max_len"],
                n["min_items"], n["max_items"], n["min_props"], n["max_props"],
                mn is not None, mx is not None, num(mn), num(mx), n["excl_min"], n["excl_max"],
                n["nullable"], n["preserve"], n["rules"][0], n["rules"][1], c_str(n["default"])))
    if not tables.nodes:
        w.append("    {0},")
    w.append("};")
    w.append(f"const crd_prop crd_props[{max(len(tables.props), 1)}] = {{")
    for name, node in tables.props:
        w.append(f"    {{{c_str(name)}, {node}}},")
    if not tables.props:
        w.append("    {NULL, -1},")
    w.append("};")
    w.append(f"const char *const crd_strs[{max(len(tables.strs), 1)}] = {{")
    for s in tables.strs:
        w.append(f"    {c_str(s)},")
    if not tables.strs:
        w.append("    NULL,")
    w.append("};")
    w.append(f"const crd_rule crd_rules[{max(len(tables.rules), 1)}] = {{")
    for expr, msg, rule, field_path, reason in tables.rules:
        w.append(f"    {{{expr}, {c_str(msg)}, {c_str(rule)}, {c_str(field_path)}}},")
    if not tables.rules:
        w.append("    {-1, NULL, NULL, NULL},")
    w.append("};")
    w.append(f"const cel_node crd_exprs[{max(len(tables.exprs), 1)}] = {{")
    for e in tables.exprs:
        w.append("    {%s, %d, %d, %d, %s, %s, %dLL, %s}," % (
            OPS[e["op"]], e.get("a", -1), e.get("b", -1), e.get("c", -1), c_str(e.get("s")),
            c_str(e.get("v")), e.get("i", 0), repr(float(e.get("d", 0.0)))))
    if not tables.exprs:
        w.append("    {0},")
    w.append("};")
    w.append(f"const size_t crd_n_rules_skipped = {tables.skipped_rules};")
    w.append(f"const size_t crd_n_rules = {tables.kept_rules};")
    text = "\n".join(w) + "\n"
    if os.path.exists(out_path) and open(out_path).read() == text:
        return
    with open(out_path + ".tmp", "w") as f:
        f.write(text)
    os.replace(out_path + ".tmp", out_path)


def main():
    out, dirs = sys.argv[1], sys.argv[2:]
    tables, roots, sources, seen = Tables(), [], [], set()
    sys.setrecursionlimit(10000)
    for d in dirs:
        if not os.path.isdir(d):
            continue
        sources.append(d)
        for path in sorted(glob.glob(os.path.join(d, "**", "*.yaml"), recursive=True)):
            with open(path) as f:
                docs = list(yaml.safe_load_all(f))
            for doc in docs:
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                group, kind = spec["group"], spec["names"]["kind"]
                for v in spec.get("versions") or []:
                    key = (group, v["name"], kind)
                    schema = (v.get("schema") or {}).get("openAPIV3Schema")
                    if key in seen or not schema:
                        continue  # the first directory given wins (experimental first)
                    seen.add(key)
                    roots.append((group, v["name"], kind, tables.node(schema)))
    roots.sort()
    write(out, tables, roots, sources)
    print(f"gen_crd_validation: {len(roots)} kinds/versions, {len(tables.nodes)} schema nodes, "
          f"{tables.kept_rules} CEL rules kept, {tables.skipped_rules} left out")


if __name__ == "__main__":
    main()
