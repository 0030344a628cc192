#!/usr/bin/env python3
"""Validates custom resources against a CRD's openAPIV3Schema.

Usage: validate_samples.py CRD_FILE SAMPLE_FILE...

The schema is applied with JSON Schema draft 4 semantics (those of OpenAPI
3.0: boolean exclusiveMinimum/exclusiveMaximum). Objects with declared
properties reject unknown fields, as `kubectl apply --validate=strict` does;
`x-kubernetes-preserve-unknown-fields` objects accept anything. CEL rules are
not evaluated here (the Swift validation covers them). Prints every error and
exits 1 if any sample is invalid or no sample was found.
"""
import copy
import sys

import jsonschema
import yaml


def strict(schema):
    """Returns the schema with additionalProperties: false on every closed object."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if node.get("x-kubernetes-int-or-string"):
            # OpenAPI's int-or-string: either type is fine, the pattern applies to strings.
            node["type"] = ["integer", "string"]
        if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            node.setdefault("additionalProperties", False)
        for child in node.get("properties", {}).values():
            walk(child)
        walk(node.get("items"))
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"])

    walk(schema)
    return schema


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    crd = yaml.safe_load(open(argv[1]))
    versions = {v["name"]: v for v in crd["spec"]["versions"]}
    errors = 0
    count = 0
    for name in argv[2:]:
        for doc in yaml.safe_load_all(open(name)):
            if doc is None:
                continue
            count += 1
            group, _, version = doc.get("apiVersion", "").partition("/")
            label = "%s %s/%s" % (name, doc.get("kind"), (doc.get("metadata") or {}).get("name"))
            if group != crd["spec"]["group"] or version not in versions or doc.get("kind") != crd["spec"]["names"]["kind"]:
                errors += 1
                print("ERROR %s: not a %s of this CRD" % (label, crd["spec"]["names"]["kind"]))
                continue
            schema = strict(versions[version]["schema"]["openAPIV3Schema"])
            validator = jsonschema.Draft4Validator(schema)
            found = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
            for error in found:
                path = ".".join(str(part) for part in error.absolute_path)
                print("ERROR %s: %s at %s" % (label, error.message, path or "<root>"))
            errors += len(found)
            if not found:
                print("OK    %s" % label)
    if count == 0:
        print("ERROR no samples found")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
