#!/usr/bin/env python3
"""The dependency direction of boardnet's folders, from their #include lines.

DESIGN.md: tools -> usocket -> stack -> netif, and scenarios is used by
netif's impairment stage and by tools only. Each C file of the product
(netif/, stack/, usocket/, scenarios/, tools/) belongs to a component; each
of its quoted #include lines is resolved to the product's header of that
name (a header that is not the product's, lwIP's or the system's, is left
alone) and must point to a component the file's own may use (ALLOWED).
Prints every include that runs the other way and exits 1 if there is one;
prints the components and their include counts and exits 0 otherwise.

    test/layout/check_includes.py [TOP]
"""
import os
import re
import sys

PRODUCT = ("netif", "stack", "usocket", "scenarios", "tools")

# What each component may include besides itself. The netif root is two
# components: the contract every stage implements (bn_link.h) and what sits
# on the stages (bn_pipeline, bn_netif).
NETIF_BOTTOM = {"netif/base", "netif/link"}
ALLOWED = {
    "netif/base": set(),
    "scenarios": set(),
    "netif/link": {"netif/base"},
    "netif/backend": NETIF_BOTTOM,
    "netif/record": NETIF_BOTTOM,
    "netif/replay": NETIF_BOTTOM,
    "netif/impair": NETIF_BOTTOM | {"scenarios"},
    "netif/pipeline": NETIF_BOTTOM | {"netif/backend", "netif/record", "netif/replay", "netif/impair", "scenarios"},
    # lwIP's port sees the board's clock and random streams only.
    "stack/port": {"netif/base"},
    # The stack asks the pipeline (bn_link), never a stage by name.
    "stack": {"stack/port", "netif/pipeline"} | NETIF_BOTTOM,
    # usocket knows nothing of TAP or pcap.
    "usocket": {"stack", "stack/port", "netif/base"},
}
BELOW_TOOLS = {"usocket", "stack", "stack/port", "scenarios", "netif/pipeline", "netif/backend", "netif/record",
               "netif/replay", "netif/impair"} | NETIF_BOTTOM
ALLOWED["tools/board"] = BELOW_TOOLS
ALLOWED["tools/apps"] = BELOW_TOOLS | {"tools/board"}
ALLOWED["tools/cli"] = BELOW_TOOLS | {"tools/board", "tools/apps"}


def component(rel):
    """The component of a product file (path relative to the top)."""
    parts = rel.split("/")
    top = parts[0]
    if top == "netif":
        if len(parts) == 2:
            return "netif/link" if parts[1] == "bn_link.h" else "netif/pipeline"
        return "netif/" + parts[1]
    if top == "stack":
        return "stack/port" if len(parts) > 2 and parts[1] == "port" else "stack"
    if top == "tools":
        return "tools/" + parts[1] if len(parts) > 2 else None  # scripts at tools/ are not C
    return top


def product_files(top):
    for root in PRODUCT:
        for dirpath, _, names in os.walk(os.path.join(top, root)):
            for name in names:
                if name.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, name), top)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    files = sorted(product_files(top))
    by_suffix = {}
    for rel in files:
        by_suffix.setdefault(os.path.basename(rel), []).append(rel)
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    wrong, counts = [], {}
    for rel in files:
        own = component(rel)
        if own is None:
            continue
        with open(os.path.join(top, rel), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = include.match(line)
                if not m:
                    continue
                name = m.group(1)
                targets = [t for t in by_suffix.get(os.path.basename(name), []) if t.endswith("/" + name)]
                if not targets:
                    continue  # lwIP's, the system's or a generated file
                comps = {component(t) for t in targets}
                if len(comps) > 1:
                    wrong.append(f"{rel}:{number}: \"{name}\" is ambiguous: {', '.join(targets)}")
                    continue
                to = comps.pop()
                counts[(own, to)] = counts.get((own, to), 0) + 1
                if to != own and to not in ALLOWED.get(own, set()):
                    wrong.append(f"{rel}:{number}: {own} includes {targets[0]} ({to}): "
                                 f"{own} may include only {', '.join(sorted(ALLOWED.get(own, ()))) or 'itself'}")
    for line in wrong:
        print(line)
    if wrong:
        print(f"check_includes: {len(wrong)} include(s) against the dependency direction (DESIGN.md)")
        return 1
    edges = sorted(f"{a} -> {b} ({n})" for (a, b), n in counts.items() if a != b)
    print(f"check_includes: {len(files)} files, every include one way: " + "; ".join(edges))
    return 0


if __name__ == "__main__":
    sys.exit(main())
