#!/usr/bin/env python3
"""Reads a CustomResourceDefinition (YAML) on stdin and writes the schema of its served version to the file named by
the first argument: {"group", "version", "kind", "schema": openAPIV3Schema}. See README.md beside it."""
import sys, yaml, json
crd = yaml.safe_load(sys.stdin)
v = [v for v in crd["spec"]["versions"] if v.get("served")][-1]
out = {"group": crd["spec"]["group"], "version": v["name"], "kind": crd["spec"]["names"]["kind"], "schema": v["schema"]["openAPIV3Schema"]}
json.dump(out, open(sys.argv[1], "w"), indent=1, sort_keys=True)
print(sys.argv[1], out["group"] + "/" + out["version"], out["kind"], [x["name"] for x in crd["spec"]["versions"] if x.get("served")])
