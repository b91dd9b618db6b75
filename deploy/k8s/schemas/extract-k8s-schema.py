#!/usr/bin/env python3
"""Reads the Kubernetes OpenAPI v2 document (swagger.json) named by the first argument and writes, for each
GROUP/VERSION/KIND after the second (the output directory; the core group is written as v1/KIND), the schema of that
kind with every definition it refers to: {"group", "version", "kind", "schema": {"$ref", "definitions"}}. Descriptions
are dropped; IntOrString accepts an integer or a string and Quantity a string or a number, as the API server decodes
them. See README.md beside it."""
import json, os, sys

swagger = json.load(open(sys.argv[1]))
out_dir = sys.argv[2]
defs = swagger["definitions"]
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": ["integer", "string"]},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": ["string", "number"]},
}


def clean(node):
    if isinstance(node, dict):
        return {k: clean(v) for k, v in node.items() if k != "description" and not k.startswith("x-kubernetes-list")
                and k not in ("x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-map-type",
                              "x-kubernetes-group-version-kind", "x-kubernetes-unions")}
    if isinstance(node, list):
        return [clean(v) for v in node]
    return node


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref and ref.startswith("#/definitions/"):
            name = ref[len("#/definitions/"):]
            if name not in found:
                found.add(name)
                refs(defs[name], found)
        for v in node.values():
            refs(v, found)
    elif isinstance(node, list):
        for v in node:
            refs(v, found)


for gvk in sys.argv[3:]:
    parts = gvk.split("/")
    group, version, kind = ("", parts[0], parts[1]) if len(parts) == 2 else parts
    names = [n for n, d in defs.items()
             if {"group": group, "version": version, "kind": kind} in d.get("x-kubernetes-group-version-kind", [])]
    if len(names) != 1:
        sys.exit(f"{gvk}: {len(names)} definitions")
    found = {names[0]}
    refs(defs[names[0]], found)
    definitions = {n: SPECIAL.get(n) or clean(defs[n]) for n in sorted(found)}
    out = {"group": group, "version": version, "kind": kind,
           "schema": {"$ref": "#/definitions/" + names[0], "definitions": definitions}}
    path = os.path.join(out_dir, "k8s-" + (group.split(".")[0] if group else "core") + "-" + version + "-" + kind.lower() + ".json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(path, gvk, len(definitions), "definitions", os.path.getsize(path), "bytes")
