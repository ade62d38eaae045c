#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/nl-gen.py [--spec FILE] [--out DIR]

Generate kmod/netlink-gen.c and kmod/netlink-gen.h from the generic netlink
spec Documentation/netlink/specs/sekisho.yaml: the nla_policy of every
attribute set that a request can reach, one policy per command (the
attributes its do/dump request lists, nests narrowed by the "*-input"
subsets the operation's attribute-set names) and the struct genl_ops table.

The kernel's own ynl-gen-c emits split ops (struct genl_split_ops, Linux
6.2+); Debian's 6.1 has none, so this emits classic struct genl_ops with a
per-command .policy and .maxattr, which both 6.1 and 6.12 accept.  A
command's do and dump share one genl_ops, so its policy is the union of the
two requests.  pre/post of the do requests become the family's
pre_doit/post_doit (they must be the same for every command); pre of a
dump request becomes the op's .start.

tests/uapi/check-gen.sh regenerates into a scratch directory and diffs the
result against the checked-in files.
"""
import argparse
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SPEC = "Documentation/netlink/specs/sekisho.yaml"


def indent(col):
    """Kernel style continuation: tabs, then spaces, to column col."""
    return "\t" * (col // 8) + " " * (col % 8)


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.y = yaml.safe_load(f)
        self.fam = self.y["name"]
        self.ident = c_upper(self.fam)
        self.sets = {s["name"]: s for s in self.y["attribute-sets"]}
        self.defs = {d["name"]: d for d in self.y.get("definitions", [])}

    # ---- names -----------------------------------------------------------

    def base(self, sname):
        s = self.sets[sname]
        return self.base(s["subset-of"]) if "subset-of" in s else s

    def prefix(self, sname):
        s = self.base(sname)
        if "name-prefix" in s:
            return c_upper(s["name-prefix"])
        if s["name"] == self.fam:
            return self.ident + "_A_"
        return c_upper(f"{self.fam}-a-{s['name']}-")

    def attr_enum(self, sname, aname):
        return self.prefix(sname) + c_upper(aname)

    def policy_name(self, sname):
        return f"{c_lower(self.fam)}_{c_lower(sname)}_nl_policy"

    # ---- attributes ------------------------------------------------------

    def attrs(self, sname):
        """[(name, value, attribute dict)] of a set, subsets resolved."""
        s = self.sets[sname]
        if "subset-of" in s:
            full = {a[0]: a for a in self.attrs(s["subset-of"])}
            out = []
            for a in s["attributes"]:
                name, val, spec = full[a["name"]]
                merged = dict(spec)
                merged.update({k: v for k, v in a.items() if k != "name"})
                out.append((name, val, merged))
            return sorted(out, key=lambda a: a[1])
        out, val = [], 1
        for a in s["attributes"]:
            if "value" in a:
                val = a["value"]
            out.append((a["name"], val, a))
            val += 1
        return out

    def value(self, v):
        if isinstance(v, int):
            return str(v)
        d = self.defs[v]
        return c_upper(d.get("name-prefix", f"{self.fam}-") + d["name"]) \
            if d["type"] == "const" else str(d["value"])

    def enum_range(self, ename):
        d = self.defs[ename]
        pfx = c_upper(d.get("name-prefix", f"{self.fam}-{d['name']}-"))
        ents = [e if isinstance(e, str) else e["name"] for e in d["entries"]]
        start = d.get("value-start", 0)
        return (str(start), pfx + c_upper(ents[-1]))


class Gen:
    S16 = range(-32768, 32768)

    def __init__(self, spec):
        self.s = spec
        self.ranges = []        # (name, min, max) of full-range checks

    def int_policy(self, sname, aname, a):
        t = a["type"]
        be = a.get("byte-order") == "big-endian"
        nla = "NLA_" + ("BE" + t[1:] if be else t.upper())
        checks = dict(a.get("checks", {}))
        lo = hi = None
        if "enum" in a:
            lo, hi = self.s.enum_range(a["enum"])
        if "min" in checks:
            lo = self.s.value(checks["min"])
        if "max" in checks:
            hi = self.s.value(checks["max"])
        small = all(v is None or (v.lstrip("-").isdigit() and int(v) in self.S16)
                    or v.startswith(self.s.ident + "_" + c_upper(a.get("enum", "x")))
                    for v in (lo, hi))
        if lo is None and hi is None:
            return f"{{ .type = {nla}, }}"
        if not small:
            rname = f"{c_lower(self.s.prefix(sname))}{c_lower(aname)}_range"
            if rname not in [r[0] for r in self.ranges]:
                self.ranges.append((rname, lo, hi))
            return f"NLA_POLICY_FULL_RANGE({nla}, &{rname})"
        if lo == "0" and not nla.startswith("NLA_S"):
            lo = None
        if lo is not None and hi is not None:
            return f"NLA_POLICY_RANGE({nla}, {lo}, {hi})"
        if lo is not None:
            return f"NLA_POLICY_MIN({nla}, {lo})"
        return f"NLA_POLICY_MAX({nla}, {hi})"

    def policy(self, sname, aname, a):
        t = a["type"]
        checks = a.get("checks", {})
        if t in ("unused", "pad"):
            return None
        if t in ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"):
            return self.int_policy(sname, aname, a)
        if t == "flag":
            return "{ .type = NLA_FLAG, }"
        if t == "string":
            if "max-len" in checks:
                return f"{{ .type = NLA_STRING, .len = {self.s.value(checks['max-len'])}, }}"
            return "{ .type = NLA_STRING, }"
        if t == "binary":
            if "exact-len" in checks:
                return f"NLA_POLICY_EXACT_LEN({self.s.value(checks['exact-len'])})"
            lo, hi = checks.get("min-len"), checks.get("max-len")
            if lo is not None and hi is not None:
                return f"NLA_POLICY_RANGE(NLA_BINARY, {self.s.value(lo)}, {self.s.value(hi)})"
            if lo is not None:
                return f"NLA_POLICY_MIN_LEN({self.s.value(lo)})"
            if hi is not None:
                return f"NLA_POLICY_MAX_LEN({self.s.value(hi)})"
            return "{ .type = NLA_BINARY, }"
        if t == "nest":
            return f"NLA_POLICY_NESTED({self.s.policy_name(a['nested-attributes'])})"
        raise SystemExit(f"nl-gen: attribute {sname}.{aname}: type {t} not handled")

    # ---- what the requests reach -------------------------------------------

    def ops(self):
        return [op for op in self.s.y["operations"]["list"]
                if "do" in op or "dump" in op]

    def op_attrs(self, op):
        """Request attributes of a command, do and dump united."""
        names = []
        for kind in ("do", "dump"):
            req = op.get(kind, {}).get("request", {})
            for n in req.get("attributes", []):
                if n not in names:
                    names.append(n)
        sname = op["attribute-set"]
        full = {a[0]: a for a in self.s.attrs(sname)}
        for n in names:
            if n not in full:
                raise SystemExit(f"nl-gen: {op['name']}: no attribute {n} in {sname}")
        return sname, sorted((full[n] for n in names), key=lambda a: a[1])

    def nested_sets(self):
        """Attribute sets reachable through nests of the requests, in order."""
        seen = []

        def walk(sname, attrs):
            for _, _, a in attrs:
                if a["type"] != "nest":
                    continue
                n = a["nested-attributes"]
                if n not in seen:
                    seen.append(n)
                    walk(n, self.s.attrs(n))
        for op in self.ops():
            walk(*self.op_attrs(op))
        return seen

    def hooks(self):
        pre = {op["do"].get("pre") for op in self.ops() if "do" in op}
        post = {op["do"].get("post") for op in self.ops() if "do" in op}
        if len(pre) != 1 or len(post) != 1:
            raise SystemExit("nl-gen: do requests need the same pre and post "
                             "(struct genl_ops has no per-op pre_doit)")
        return pre.pop(), post.pop()

    # ---- output ------------------------------------------------------------

    def header_comment(self, spdx):
        return [spdx,
                "/*",
                " * Do not edit: generated by scripts/nl-gen.py from",
                f" * {SPEC}.",
                " */"]

    def policy_lines(self, decl, sname, attrs):
        last = self.s.attr_enum(sname, attrs[-1][0])
        lines = [f"{decl}[{last} + 1] = {{"]
        for name, _, a in attrs:
            p = self.policy(sname, name, a)
            if p is not None:
                lines.append(f"\t[{self.s.attr_enum(sname, name)}] = {p},")
        lines.append("};")
        return lines

    def fn(self, name, kind):
        n = c_lower(name)
        if kind == "doit":
            return f"int {n}(struct sk_buff *skb, struct genl_info *info);"
        if kind == "dumpit":
            return f"int {n}(struct sk_buff *skb, struct netlink_callback *cb);"
        if kind == "start":
            return f"int {n}(struct netlink_callback *cb);"
        ret = "int" if kind == "pre" else "void"
        return [f"{ret} {n}(const struct sekisho_genl_doit_ops *ops,",
                indent(len(ret) + len(n) + 2) + "struct sk_buff *skb, struct genl_info *info);"]

    def handler(self, op, kind):
        return f"{c_lower(self.s.fam)}_nl_{c_lower(op['name'])}_{kind}"

    def gen_h(self):
        s = self.s
        guard = f"_{s.ident}_NETLINK_GEN_H"
        out = self.header_comment("/* SPDX-License-Identifier: GPL-2.0 */")
        out += [f"#ifndef {guard}", f"#define {guard}", "",
                "#include <net/genetlink.h>", "#include <net/netlink.h>", "",
                f"#include <{s.y['uapi-header']}>", "", '#include "compat.h"', "",
                "/* policies of the nests that requests carry */"]
        for n in self.nested_sets():
            attrs = s.attrs(n)
            last = s.attr_enum(n, attrs[-1][0])
            out.append(f"extern const struct nla_policy {s.policy_name(n)}[{last} + 1];")
        out += ["", "/* one per command: struct genl_ops (Linux 6.1 has no split ops) */",
                f"extern const struct genl_ops {c_lower(s.fam)}_nl_ops[{len(self.ops())}];",
                ""]
        pre, post = self.hooks()
        out += self.fn(pre, "pre")
        out += self.fn(post, "post")
        starts = []
        for op in self.ops():
            p = op.get("dump", {}).get("pre")
            if p and p not in starts:
                starts.append(p)
        out += [self.fn(p, "start") for p in starts]
        out.append("")
        for op in self.ops():
            if "do" in op:
                out.append(self.fn(self.handler(op, "doit"), "doit"))
            if "dump" in op:
                out.append(self.fn(self.handler(op, "dumpit"), "dumpit"))
        mc = s.y.get("mcast-groups", {}).get("list", [])
        if mc:
            out += ["", f"extern const struct genl_multicast_group {c_lower(s.fam)}_nl_mcgrps[{len(mc)}];"]
        out += ["", f"#endif /* {guard} */"]
        return "\n".join(out) + "\n"

    def gen_c(self):
        s = self.s
        fam = c_lower(s.fam)
        body = ["/* nests */"]
        for n in self.nested_sets():
            body += self.policy_lines(f"const struct nla_policy {s.policy_name(n)}",
                                      n, s.attrs(n))
            body.append("")
        opsl = []
        for op in self.ops():
            sname, attrs = self.op_attrs(op)
            pname = f"{fam}_{c_lower(op['name'])}_nl_policy"
            body.append(f"/* {s.ident}_CMD_{c_upper(op['name'])} */")
            body += self.policy_lines(f"static const struct nla_policy {pname}",
                                      sname, attrs)
            body.append("")
            e = [f"\t\t.cmd = {s.ident}_CMD_{c_upper(op['name'])},"]
            if "do" in op:
                e.append(f"\t\t.doit = {self.handler(op, 'doit')},")
            if op.get("dump", {}).get("pre"):
                e.append(f"\t\t.start = {c_lower(op['dump']['pre'])},")
            if "dump" in op:
                e.append(f"\t\t.dumpit = {self.handler(op, 'dumpit')},")
            e.append(f"\t\t.policy = {pname},")
            e.append(f"\t\t.maxattr = {s.attr_enum(sname, attrs[-1][0])},")
            flags = ["GENL_" + c_upper(f) for f in op.get("flags", [])]
            if flags:
                e.append(f"\t\t.flags = {' | '.join(flags)},")
            opsl += ["\t{"] + e + ["\t},"]
        body += [f"const struct genl_ops {fam}_nl_ops[{len(self.ops())}] = {{"] + opsl + ["};"]
        mc = s.y.get("mcast-groups", {}).get("list", [])
        if mc:
            body += ["", f"const struct genl_multicast_group {fam}_nl_mcgrps[{len(mc)}] = {{"]
            for g in mc:
                name = c_upper(g.get("c-define-name", f"{s.fam}-mcgrp-{g['name']}"))
                fl = " | ".join("GENL_MCAST_CAP_" + ("NET_ADMIN" if f == "admin-perm" else c_upper(f))
                                for f in g.get("flags", []))
                body.append(f"\t{{ .name = {name}, .flags = {fl}, }},"
                            if fl else f"\t{{ .name = {name}, }},")
            body.append("};")
        out = self.header_comment("// SPDX-License-Identifier: GPL-2.0")
        out += ["#include <net/genetlink.h>", "#include <net/netlink.h>", "",
                f"#include <{s.y['uapi-header']}>", "", '#include "netlink-gen.h"', ""]
        if self.ranges:
            out.append("/* ranges beyond s16 (not const: the pointer in 6.1's nla_policy is not) */")
            for name, lo, hi in self.ranges:
                out.append(f"static struct netlink_range_validation {name} = {{")
                if lo is not None:
                    out.append(f"\t.min = {lo},")
                if hi is not None:
                    out.append(f"\t.max = {hi},")
                out += ["};", ""]
        out += body
        return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=os.path.join(REPO, SPEC))
    ap.add_argument("--out", default=os.path.join(REPO, "kmod"))
    args = ap.parse_args()
    g = Gen(Spec(args.spec))
    c = g.gen_c()               # fills g.ranges before anything is written
    h = g.gen_h()
    os.makedirs(args.out, exist_ok=True)
    for name, text in (("netlink-gen.c", c), ("netlink-gen.h", h)):
        with open(os.path.join(args.out, name), "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
