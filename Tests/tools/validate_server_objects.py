#!/usr/bin/env python3
"""Validate objects served by the local API server against the official
Kubernetes OpenAPI schemas (kubernetes-validate).

Reads `kubectl get ... -o yaml` output (a v1 List) on stdin, validates every
item strictly (unknown fields are errors) for Kubernetes 1.37, prints one line
per item and exits 1 if any item is invalid or the list is empty.
"""
import sys

import kubernetes_validate
import yaml


def main() -> int:
    document = yaml.safe_load(sys.stdin)
    items = document.get("items", []) if document.get("kind") == "List" else [document]
    if not items:
        print("no objects to validate", file=sys.stderr)
        return 1
    failures = 0
    for item in items:
        name = f'{item.get("kind")}/{item.get("metadata", {}).get("name")}'
        try:
            kubernetes_validate.validate(item, "1.37.0", strict=True)
            print(f"valid {name}")
        except kubernetes_validate.ValidationError as error:
            failures += 1
            print(f"INVALID {name}: {error.message} at {list(error.path)}")
        except kubernetes_validate.InvalidSchemaError as error:
            failures += 1
            print(f"INVALID {name}: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
