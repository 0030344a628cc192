#!/usr/bin/env python3
"""Evaluates a CRD's CEL rules (x-kubernetes-validations) on custom resources.

Usage: check_cel_rules.py CRD_FILE OBJECT_FILE [--old OLD_FILE]

Mirrors the API server's order: structural defaults from the schema are
applied first, then every rule is evaluated on each node it is declared on
(for list items and map values, on every element). Transition rules (those
using oldSelf) run only with --old, against the corresponding node of the old
object, and only where both exist. Prints one line per violated rule and
exits 1 if any rule is violated, if a rule fails to compile or evaluate, or if
no object was found.
"""
import sys

import celpy
import yaml


def default(value, schema):
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, child in properties.items():
            if name not in value and "default" in child:
                value[name] = yaml.safe_load(yaml.safe_dump(child["default"]))
            if name in value:
                value[name] = default(value[name], child)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in value:
                if name not in properties:
                    value[name] = default(value[name], extra)
    elif isinstance(value, list) and "items" in schema:
        return [default(item, schema["items"]) for item in value]
    return value


def check(value, old, schema, path, env, problems):
    for rule in schema.get("x-kubernetes-validations", []):
        transition = "oldSelf" in rule["rule"]
        if transition and old is None:
            continue
        try:
            program = env.program(env.compile(rule["rule"]))
            activation = {"self": celpy.json_to_cel(value)}
            if transition:
                activation["oldSelf"] = celpy.json_to_cel(old)
            result = program.evaluate(activation)
        except Exception as error:  # a rule that does not compile or run is a defect
            problems.append("ERROR %s: rule %r: %s" % (path or "<root>", rule["rule"], error))
            continue
        if result is not True and str(result) != "True":
            problems.append("VIOLATION %s: %s" % (path or "<root>", rule["message"]))
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name in value:
                old_child = old.get(name) if isinstance(old, dict) else None
                check(value[name], old_child, child, "%s.%s" % (path, name) if path else name, env, problems)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, child in value.items():
                if name not in schema.get("properties", {}):
                    check(child, None, extra, "%s[%s]" % (path, name), env, problems)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check(item, None, schema["items"], "%s[%d]" % (path, index), env, problems)


def main(argv):
    args = argv[1:]
    old_file = None
    if "--old" in args:
        at = args.index("--old")
        old_file = args[at + 1]
        del args[at:at + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    crd = yaml.safe_load(open(args[0]))
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    objects = [doc for doc in yaml.safe_load_all(open(args[1])) if doc is not None]
    old = None
    if old_file:
        old = default(yaml.safe_load(open(old_file)), schema)
    if not objects:
        print("ERROR no objects found")
        return 1
    env = celpy.Environment()
    problems = []
    for obj in objects:
        found = []
        check(default(obj, schema), old, schema, "", env, found)
        name = (obj.get("metadata") or {}).get("name")
        for line in found:
            print("%s (%s)" % (line, name))
        if not found:
            print("OK    %s" % name)
        problems += found
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
