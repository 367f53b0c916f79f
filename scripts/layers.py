#!/usr/bin/env python3
"""Check the layers of ramal's objects: no call cycle between files, no
reference to a layer above, libpq only where it belongs.

    layers.py --root build/obj [--uses SPEC] [--pq-layers LIST] OBJ...

Each object's layer is the folder under --root it sits in (build/obj/core/
http.o is in core); objects directly under --root are the wiring (main,
routes, jobkinds), which may use every layer.  An edge A -> B means A
refers to a global symbol B defines (a call, or data), read with nm, so
it is what the linker sees, not what the headers promise.

SPEC says which layers each layer may use, as in the Makefile's USES_*
variables: "lib=lib twilio=lib,twilio ...".

LIST names the layers whose objects may refer to libpq (a symbol whose
name starts with "PQ"), comma-separated: "core,store" by default, so that
no layer above the store reads a PGresult.  The wiring objects may too.

Exit 0 when the layers hold; 1 with one line per broken rule (and the
symbols behind it) otherwise; 2 for a usage error.
"""

import argparse
import os
import subprocess
import sys

DEFAULT_USES = (
    "lib=lib twilio=lib,twilio core=lib,core store=lib,twilio,core,store "
    "auth=lib,twilio,core,store,auth calls=lib,twilio,core,store,calls "
    "api=lib,twilio,core,store,auth,calls,api "
    "cli=lib,twilio,core,store,auth,calls,cli"
)
DEFAULT_PQ_LAYERS = "core,store"
LIBPQ_PREFIX = "PQ"


def parse_uses(spec):
    uses = {}
    for item in spec.split():
        layer, _, allowed = item.partition("=")
        if not layer or not allowed:
            raise ValueError("bad --uses item %r" % item)
        uses[layer] = set(allowed.split(","))
    return uses


def parse_pq_layers(spec):
    layers = set()
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        if not item.replace("_", "").isalnum():
            raise ValueError("bad --pq-layers item %r" % item)
        layers.add(item)
    return layers


def symbols(obj):
    """(defined, undefined) global symbol names of one object."""
    out = subprocess.run(
        ["nm", "-P", "-g", obj], capture_output=True, text=True, check=True
    ).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(name)
        elif kind in "TDBRCGSVW":
            defined.add(name)
    return defined, undefined


def layer_of(root, obj):
    rel = os.path.relpath(obj, root)
    head = os.path.dirname(rel)
    return head.split(os.sep)[0] if head else "top"


def cycles(nodes, edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        # iterative to stay clear of Python's recursion limit
        work = [(v, iter(sorted(edges.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--uses", default=DEFAULT_USES)
    ap.add_argument("--pq-layers", default=DEFAULT_PQ_LAYERS)
    ap.add_argument("objects", nargs="+")
    try:
        args = ap.parse_args(argv)
        uses = parse_uses(args.uses)
        pq_layers = parse_pq_layers(args.pq_layers)
    except (SystemExit, ValueError) as e:
        print("layers: %s" % e, file=sys.stderr)
        return 2

    owner = {}  # symbol -> object defining it
    refs = {}
    for obj in args.objects:
        defined, undefined = symbols(obj)
        refs[obj] = undefined
        for s in defined:
            owner.setdefault(s, obj)

    edges, why = {}, {}
    for obj, undefined in refs.items():
        for s in undefined:
            dst = owner.get(s)
            if dst is None or dst == obj:
                continue
            edges.setdefault(obj, set()).add(dst)
            why.setdefault((obj, dst), set()).add(s)

    def name(o):
        return os.path.relpath(o, args.root)

    problems = []
    pq_allowed = ", ".join(sorted(pq_layers)) or "no layer"
    for obj in sorted(refs):
        layer = layer_of(args.root, obj)
        if layer == "top" or layer in pq_layers:
            continue
        pq = sorted(s for s in refs[obj] if s.startswith(LIBPQ_PREFIX))
        if pq:
            problems.append(
                "%s (%s) uses libpq, which only %s may: %s"
                % (name(obj), layer, pq_allowed, ", ".join(pq))
            )
    for (src, dst), syms in sorted(why.items()):
        ls, ld = layer_of(args.root, src), layer_of(args.root, dst)
        if ls == "top":
            continue
        if ls not in uses:
            problems.append("%s: layer %s is not in the layer list" % (name(src), ls))
            continue
        if ld not in uses[ls]:
            problems.append(
                "%s (%s) uses %s (%s), a layer it may not use: %s"
                % (name(src), ls, name(dst), ld, ", ".join(sorted(syms)[:6]))
            )
    for comp in cycles(refs.keys(), edges):
        ties = []
        for a in comp:
            for b in comp:
                if (a, b) in why:
                    ties.append(
                        "%s -> %s (%s)"
                        % (name(a), name(b), ", ".join(sorted(why[(a, b)])[:4]))
                    )
        problems.append(
            "call cycle between %s: %s"
            % (", ".join(name(c) for c in comp), "; ".join(ties))
        )
    if problems:
        for p in problems:
            print("layers: " + p)
        print("layers: %d problem(s) in %d objects" % (len(problems), len(refs)))
        return 1
    print(
        "layers: %d objects, %d file-to-file references, no cycle, no "
        "upward reference, libpq only in %s"
        % (len(refs), sum(len(v) for v in edges.values()), pq_allowed)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
