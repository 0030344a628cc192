#!/usr/bin/env python3
"""Validates every YAML document read from stdin (for example `helm template`
output) against the official Kubernetes schemas shipped by kubernetes-validate,
using the newest Kubernetes version it ships, in strict mode (unknown fields
are errors).

Kinds that are not part of Kubernetes are validated against a small schema of
their own kept below (CUSTOM_SCHEMAS); a kind with neither is an error.

Prints one JSON object on stdout:
  {"kubernetesVersion": "1.37", "documents": [{"apiVersion", "kind", "name",
   "namespace", "schema": "kubernetes" | "custom"}], "errors": ["..."]}
and exits 1 when there is any error, 0 otherwise.
"""
import json
import sys

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate import utils

# The fields of monitoring.coreos.com/v1 ServiceMonitor the Prometheus Operator
# requires (its CRD is not part of Kubernetes, so kubernetes-validate has no
# schema for it), plus the shape of the fields the chart sets.
SERVICE_MONITOR = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "jobLabel": {"type": "string"},
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "any": {"type": "boolean"},
                        "matchNames": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "selector": {
                    "type": "object",
                    "properties": {
                        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "matchExpressions": {"type": "array"},
                    },
                    "minProperties": 1,
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "targetPort": {"type": ["string", "integer"]},
                            "path": {"type": "string"},
                            "scheme": {"enum": ["http", "https"]},
                            "honorLabels": {"type": "boolean"},
                            "interval": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                            "relabelings": {"type": "array", "items": {"type": "object"}},
                            "metricRelabelings": {"type": "array", "items": {"type": "object"}},
                        },
                        "anyOf": [{"required": ["port"]}, {"required": ["targetPort"]}],
                    },
                },
            },
        },
    },
}

DURATION = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"

# The fields of monitoring.coreos.com/v1 PrometheusRule the Prometheus Operator
# requires and the shape of a rule group (the expressions themselves are
# checked by promtool in the observability tests).
PROMETHEUS_RULE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "metadata": SERVICE_MONITOR["properties"]["metadata"],
        "spec": {
            "type": "object",
            "required": ["groups"],
            "additionalProperties": False,
            "properties": {
                "groups": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": {"type": "string", "pattern": DURATION},
                            "rules": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "alert": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"},
                                        "record": {"type": "string"},
                                        "expr": {"type": ["string", "integer"]},
                                        "for": {"type": "string", "pattern": DURATION},
                                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                                    },
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

CUSTOM_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR,
    ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE,
}


def main() -> int:
    version = utils.latest_version()
    documents = []
    errors = []
    for index, doc in enumerate(yaml.safe_load_all(sys.stdin)):
        if doc is None:
            continue
        where = "document %d (%s %s)" % (index, doc.get("kind"), (doc.get("metadata") or {}).get("name"))
        entry = {
            "apiVersion": doc.get("apiVersion"),
            "kind": doc.get("kind"),
            "name": (doc.get("metadata") or {}).get("name"),
            "namespace": (doc.get("metadata") or {}).get("namespace"),
        }
        custom = CUSTOM_SCHEMAS.get((doc.get("apiVersion"), doc.get("kind")))
        try:
            if custom is not None:
                jsonschema.Draft202012Validator(custom).validate(doc)
                entry["schema"] = "custom"
            else:
                kubernetes_validate.validate(doc, version, strict=True)
                entry["schema"] = "kubernetes"
        except jsonschema.ValidationError as error:
            path = ".".join(str(p) for p in error.absolute_path)
            errors.append("%s: %s: %s" % (where, path or "<root>", error.message))
        except utils.SchemaNotFoundError as error:
            errors.append("%s: %s" % (where, error.message))
        documents.append(entry)
    if not documents:
        errors.append("no documents on stdin")
    print(json.dumps({"kubernetesVersion": version, "documents": documents, "errors": errors}, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
