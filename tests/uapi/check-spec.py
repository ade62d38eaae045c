#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
check-spec.py - the netlink YAML spec and the uapi header must agree 1:1.

Reads Documentation/netlink/specs/sekisho.yaml, derives every C name the
spec implies (with the naming rules of the kernel's YNL generator:
family/version defines, consts, enums, attribute sets with their __MAX and
MAX, commands, multicast groups), then compiles a small C program against
include/uapi/linux/sekisho.h that prints the value of every #define and enum
constant the header declares.  Both directions are checked: each name of
the spec must exist in the header with the same value, and each name of the
header must come from the spec.  Conventions the spec cannot express and
that are accepted here:

  - SEKISHO_CMD_UNSPEC = 0 (genetlink reserves command 0);
  - __<ENUM>_MAX = last value + 1 after a definitions enum (a sentinel);
  - the include guard.

Output is TAP; the exit status is non-zero on any mismatch.

  check-spec.py [--spec FILE] [--header FILE] [--cc CC] [-v]

If python3-jsonschema is installed and the kernel's genetlink schemas are
found (SEKISHO_NETLINK_SCHEMA_DIR, or /usr/src/linux-source-*/Documentation/
netlink), the spec is also validated against its "protocol" schema.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("1..0 # SKIP python3-yaml is not installed")
    sys.exit(0)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def result(self, ok, name, diag=(), skip=None):
        self.n += 1
        status = "ok" if ok else "not ok"
        line = f"{status} {self.n} - {name}"
        if skip:
            line += f" # SKIP {skip}"
        self.lines.append(line)
        for d in diag:
            self.lines.append(f"# {d}")
        if not ok:
            self.failed += 1

    def emit(self):
        print(f"1..{self.n}")
        for line in self.lines:
            print(line)
        print(f"# {self.n - self.failed} passed, {self.failed} failed")


# ---------- what the spec implies ----------

class Expect:
    """Groups of (C name -> value) the header must contain."""

    def __init__(self):
        self.groups = []        # (title, {name: value})
        self.enum_types = {}    # C enum type name -> group title
        self.optional = {}      # name -> value: accepted, not required

    def group(self, title, values, enum_type=None):
        self.groups.append((title, values))
        if enum_type:
            self.enum_types[enum_type] = title

    def all(self):
        out = {}
        for _, values in self.groups:
            out.update(values)
        return out


def spec_names(spec):
    e = Expect()
    fam = spec["name"]
    ident = c_upper(fam)

    fam_key = c_upper(spec.get("c-family-name", f"{fam}-family-name"))
    ver_key = c_upper(spec.get("c-version-name", f"{fam}-family-version"))
    e.group("family name and version",
            {fam_key: fam, ver_key: spec.get("version", 1)})

    consts = {}
    for d in spec.get("definitions", []):
        if d.get("header") or d.get("scope", "uapi") != "uapi":
            continue
        if d["type"] == "const":
            consts[c_upper(f"{fam}-{d['name']}")] = d["value"]
            continue
        if d["type"] not in ("enum", "flags"):
            raise SystemExit(f"definition type {d['type']} not handled")
        pfx = c_upper(d.get("name-prefix", f"{fam}-{d['name']}-"))
        vals = {}
        val = d.get("value-start", 0)
        last = None
        for i, ent in enumerate(d["entries"]):
            if isinstance(ent, str):
                ent = {"name": ent}
            if "value" in ent:
                val = ent["value"]
            v = (1 << val) if d["type"] == "flags" else val
            vals[pfx + c_upper(ent["name"])] = v
            last = val
            val += 1
        if d.get("render-max"):
            if d["type"] == "flags":
                vals[pfx + "MASK"] = sum(vals.values())
            else:
                vals["__" + pfx + "MAX"] = last + 1
                vals[pfx + "MAX"] = last
        else:
            e.optional["__" + pfx + "MAX"] = last + 1
        etype = None
        if d.get("enum-name", 0) is None:
            etype = None
        elif d.get("enum-name"):
            etype = c_lower(d["enum-name"])
        else:
            etype = c_lower(f"{fam}-{d['name']}")
        e.group(f"{d['type']} {etype or d['name']}", vals, etype)
    if consts:
        e.group("constants", consts)

    for s in spec["attribute-sets"]:
        if "subset-of" in s:
            continue
        if "name-prefix" in s:
            pfx = c_upper(s["name-prefix"])
        elif s["name"] == fam:
            pfx = ident + "_A_"
        else:
            pfx = c_upper(f"{fam}-a-{s['name']}-")
        vals = {}
        val = 1
        for a in s["attributes"]:
            if "value" in a:
                val = a["value"]
            vals[pfx + c_upper(a["name"])] = val
            val += 1
        cnt = c_upper(s.get("attr-cnt-name", f"__{pfx}max"))
        mx = c_upper(s.get("attr-max-name", f"{pfx}max"))
        vals[cnt] = val
        vals[mx] = val - 1
        etype = c_lower(s["enum-name"]) if s.get("enum-name") else None
        e.group(f"attribute set {s['name']}", vals, etype)

    ops = spec["operations"]
    pfx = c_upper(ops.get("name-prefix", f"{fam}-cmd-"))
    if ops.get("enum-model", "unified") != "unified" or "async-prefix" in ops:
        raise SystemExit("only the unified operation model is handled")
    vals = {pfx + "UNSPEC": 0}
    val = 1
    for op in ops["list"]:
        if "value" in op:
            val = op["value"]
        vals[pfx + c_upper(op["name"])] = val
        val += 1
    vals[c_upper(spec.get("cmd-cnt-name", f"__{pfx}max"))] = val
    vals[c_upper(spec.get("cmd-max-name", f"{pfx}max"))] = val - 1
    etype = c_lower(ops["enum-name"]) if ops.get("enum-name") else None
    e.group("commands", vals, etype)

    grps = {}
    for g in spec.get("mcast-groups", {}).get("list", []):
        grps[c_upper(g.get("c-define-name", f"{fam}-mcgrp-{g['name']}"))] = g["name"]
    if grps:
        e.group("multicast groups", grps)
    return e


# ---------- what the header has ----------

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def header_names(path):
    text = strip_comments(open(path).read())
    defines = []
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?[ \t]*(.*)$",
                         text, flags=re.M):
        name, fnlike, body = m.group(1), m.group(2), m.group(3).strip()
        if fnlike or not body:
            continue            # include guard, function-like macros
        defines.append(name)
    enums = {}                  # type name (or "") -> [constants]
    for m in re.finditer(r"\benum\s+(\w*)\s*\{(.*?)\}", text, flags=re.S):
        names = []
        for ent in m.group(2).split(","):
            ent = ent.strip()
            if ent:
                names.append(re.match(r"(\w+)", ent).group(1))
        enums.setdefault(m.group(1), []).extend(names)
    return defines, enums


def header_values(header, names, cc):
    """Compile and run a program printing every name's value."""
    inc = os.path.dirname(os.path.dirname(os.path.abspath(header)))
    lines = [
        "#include <stdio.h>",
        f'#include "{os.path.abspath(header)}"',
        "static void ps(const char *n, const char *v) { printf(\"%s s %s\\n\", n, v); }",
        "static void pi(const char *n, long long v) { printf(\"%s i %lld\\n\", n, v); }",
        "static void pu(const char *n, unsigned long long v) { printf(\"%s i %llu\\n\", n, v); }",
        "#define P(x) _Generic((x) + 0, char *: ps, const char *: ps, "
        "unsigned int: pu, unsigned long: pu, unsigned long long: pu, "
        "default: pi)(#x, (x))",
        "int main(void)",
        "{",
    ]
    lines += [f"\tP({n});" for n in names]
    lines += ["\treturn 0;", "}"]
    tmp = tempfile.mkdtemp(prefix="check-spec.")
    try:
        src = os.path.join(tmp, "names.c")
        exe = os.path.join(tmp, "names")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([cc, "-std=c11", "-Wall", "-Werror",
                            "-Wno-format", "-I", inc, "-o", exe, src],
                           capture_output=True, text=True)
        if r.returncode:
            return None, r.stderr
        out = subprocess.run([exe], capture_output=True, text=True, check=True)
    finally:
        shutil.rmtree(tmp)
    vals = {}
    for line in out.stdout.splitlines():
        name, kind, value = line.split(" ", 2)
        vals[name] = value if kind == "s" else int(value)
    return vals, ""


def schema_check(spec, tap):
    try:
        import jsonschema
    except ImportError:
        tap.result(True, "spec validates against the genetlink schema",
                   skip="python3-jsonschema not installed")
        return
    dirs = []
    if os.environ.get("SEKISHO_NETLINK_SCHEMA_DIR"):
        dirs.append(os.environ["SEKISHO_NETLINK_SCHEMA_DIR"])
    dirs += sorted(glob.glob("/usr/src/linux-source-*/Documentation/netlink"))
    proto = spec.get("protocol", "genetlink")
    for d in dirs:
        path = os.path.join(d, proto + ".yaml")
        if os.path.exists(path):
            break
    else:
        tap.result(True, "spec validates against the genetlink schema",
                   skip=f"no {proto}.yaml schema found")
        return
    try:
        jsonschema.validate(spec, yaml.safe_load(open(path)))
        tap.result(True, f"spec validates against {path}")
    except jsonschema.ValidationError as ex:
        tap.result(False, f"spec validates against {path}",
                   [str(ex).splitlines()[0]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--spec", default=os.path.join(
        TOP, "Documentation/netlink/specs/sekisho.yaml"))
    ap.add_argument("--header", default=os.path.join(
        TOP, "include/uapi/linux/sekisho.h"))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    tap = Tap()
    spec = yaml.safe_load(open(args.spec))
    tap.result(True, f"spec {os.path.relpath(args.spec, TOP)} parses")
    schema_check(spec, tap)

    exp = spec_names(spec)
    defines, enums = header_names(args.header)
    hnames = list(dict.fromkeys(defines + [n for v in enums.values() for n in v]))
    hvals, err = header_values(args.header, hnames, args.cc)
    tap.result(hvals is not None, "header compiles and its constants print",
               err.splitlines()[:20])
    if hvals is None:
        tap.emit()
        return 1

    used = set()
    for title, values in exp.groups:
        diag = []
        for name, want in values.items():
            used.add(name)
            if name not in hvals:
                diag.append(f"{name} = {want!r}: missing from the header")
            elif hvals[name] != want:
                diag.append(f"{name}: header {hvals[name]!r}, spec {want!r}")
        tap.result(not diag, f"{title}: {len(values)} names", diag)

    diag = []
    for etype, title in exp.enum_types.items():
        if etype not in enums:
            diag.append(f"enum {etype} ({title}) is not declared in the header")
    for etype in enums:
        if etype and etype not in exp.enum_types:
            diag.append(f"enum {etype} of the header is not in the spec")
    tap.result(not diag, f"enum type names: {len(exp.enum_types)}", diag)

    diag = []
    for name in hnames:
        if name in used:
            continue
        if name in exp.optional:
            if hvals[name] != exp.optional[name]:
                diag.append(f"sentinel {name}: header {hvals[name]!r}, "
                            f"want {exp.optional[name]!r}")
            continue
        diag.append(f"{name} = {hvals[name]!r}: in the header, not in the spec")
    tap.result(not diag, f"every header name ({len(hnames)}) comes from the spec",
               diag)

    if args.verbose:
        for name in hnames:
            print(f"# {name} = {hvals[name]!r}")
    tap.emit()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
