#!/usr/bin/env python3
"""Validates Kubernetes manifests against the official schemas.

Usage: validate_manifests.py FILE... ('-' reads standard input)

Every YAML document is checked with kubernetes_validate in strict mode
(unknown fields are errors) against the newest Kubernetes version the package
ships. Prints one line per document and exits 1 if any document is invalid or
if no document was found at all.
"""
import sys

import kubernetes_validate
import yaml


def documents(name):
    text = sys.stdin.read() if name == "-" else open(name).read()
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    version = kubernetes_validate.latest_version()
    errors = 0
    count = 0
    for name in argv[1:]:
        for index, doc in enumerate(documents(name)):
            count += 1
            label = "%s#%d %s/%s" % (name, index, doc.get("kind"), (doc.get("metadata") or {}).get("name"))
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                print("OK    %s (Kubernetes %s)" % (label, version))
            except kubernetes_validate.ValidationError as error:
                errors += 1
                path = ".".join(str(part) for part in error.absolute_path)
                print("ERROR %s: %s at %s" % (label, error.message, path or "<root>"))
            except kubernetes_validate.SchemaNotFoundError as error:
                errors += 1
                print("ERROR %s: %s" % (label, error.message))
    if count == 0:
        print("ERROR no documents found")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
