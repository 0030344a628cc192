#!/usr/bin/env python3
"""Writes Sources/LocalCluster/Protobuf/ProtobufSchemaTable.swift: the field
facts (number, JSON name, type, cardinality, zero-value policy) of the
Kubernetes protobuf messages the local API server reads and writes.

The facts come from a checkout of k8s.io/api and k8s.io/apimachinery:
`generated.proto` gives each message's field numbers and types, the Go
`types.go` beside it gives each field's JSON name and whether the Go field is
a pointer (presence) or `omitempty` (zero values are not shown).

usage: hack/protobuf-schema.py <k8s.io/api git dir> <k8s.io/apimachinery git dir> > out.swift
"""
import re
import subprocess
import sys

API, MACHINERY = sys.argv[1], sys.argv[2]


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


# proto package -> (repository, directory)
PACKAGES = {
    "k8s.io.apimachinery.pkg.apis.meta.v1": (MACHINERY, "pkg/apis/meta/v1"),
    "k8s.io.apimachinery.pkg.runtime": (MACHINERY, "pkg/runtime"),
    "k8s.io.apimachinery.pkg.util.intstr": (MACHINERY, "pkg/util/intstr"),
    "k8s.io.apimachinery.pkg.api.resource": (MACHINERY, "pkg/api/resource"),
}
# apiVersion -> proto package, for the groups the server serves.
GROUPS = {
    "v1": "core/v1", "apps/v1": "apps/v1", "batch/v1": "batch/v1", "policy/v1": "policy/v1",
    "rbac.authorization.k8s.io/v1": "rbac/v1", "scheduling.k8s.io/v1": "scheduling/v1",
    "coordination.k8s.io/v1": "coordination/v1", "events.k8s.io/v1": "events/v1",
    "authentication.k8s.io/v1": "authentication/v1", "authorization.k8s.io/v1": "authorization/v1",
}
for directory in GROUPS.values():
    PACKAGES["k8s.io.api." + directory.replace("/", ".")] = (API, directory)

# apiVersion -> kinds served (each with its List unless marked with !).
KINDS = {
    "v1": ["Namespace", "Pod", "Service", "Endpoints", "PersistentVolumeClaim", "ConfigMap", "Secret",
           "ServiceAccount", "Event", "Node", "ResourceQuota", "Binding!"],
    "apps/v1": ["Deployment", "StatefulSet"],
    "batch/v1": ["Job", "CronJob"],
    "policy/v1": ["PodDisruptionBudget", "Eviction!"],
    "rbac.authorization.k8s.io/v1": ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
    "scheduling.k8s.io/v1": ["PriorityClass"],
    "coordination.k8s.io/v1": ["Lease"],
    "events.k8s.io/v1": ["Event"],
    "authentication.k8s.io/v1": ["TokenRequest!", "TokenReview!", "SelfSubjectReview!"],
    "authorization.k8s.io/v1": ["SelfSubjectAccessReview!", "SelfSubjectRulesReview!", "SubjectAccessReview!",
                                "LocalSubjectAccessReview!"],
}
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
# Kinds of meta.k8s.io/v1 a client sends or receives under any group version.
META_KINDS = ["Status", "DeleteOptions", "WatchEvent"]

SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"}

messages = {}   # full name -> [(number, protoName, type, label, keyType)]
go_fields = {}  # full name -> {number: (jsonName, pointer, omitempty)}
array_wrappers = set()  # messages that stand for a Go []string (JSON: an array)


def parse_proto(package, text):
    text = re.sub(r"//[^\n]*", "", text)
    for match in re.finditer(r"message\s+(\w+)\s*\{([^{}]*)\}", text):
        name, body = match.group(1), match.group(2)
        fields = []
        for line in body.split(";"):
            line = line.strip()
            if not line:
                continue
            m = re.match(r"map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)", line)
            if m:
                fields.append((int(m.group(4)), m.group(3), m.group(2), "map", m.group(1)))
                continue
            m = re.match(r"(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)", line)
            if not m:
                raise SystemExit(f"cannot parse field in {package}.{name}: {line}")
            fields.append((int(m.group(4)), m.group(3), m.group(2), m.group(1), None))
        messages[f"{package}.{name}"] = [(n, pn, resolve(package, t), label, key) for n, pn, t, label, key in fields]


def resolve(package, type_name):
    if type_name in SCALARS:
        return type_name
    if type_name.startswith("."):
        return type_name[1:]
    return f"{package}.{type_name}"


def parse_go(package, text):
    for match in re.finditer(r"^type\s+(\w+)\s+\[\]string\s*$", text, re.M):
        array_wrappers.add(f"{package}.{match.group(1)}")
    for match in re.finditer(r"^type\s+(\w+)\s+struct\s*\{[ \t]*\n(.*?)^\}", text, re.M | re.S):
        name, body = match.group(1), match.group(2)
        fields = go_fields.setdefault(f"{package}.{name}", {})
        for line in body.split("\n"):
            tag = re.search(r"`([^`]*)`", line)
            number = re.search(r'protobuf:"\w+,(\d+)', tag.group(1)) if tag else None
            if not number or line.lstrip().startswith("//"):
                continue
            declaration = line[:tag.start()].split()
            go_type = declaration[-1]
            number = int(number.group(1))
            json_tag = re.search(r'json:"([^"]*)"', tag.group(1))
            json_name, omitempty, inline = None, False, False
            if json_tag:
                parts = json_tag.group(1).split(",")
                json_name, omitempty = parts[0], "omitempty" in parts[1:]
                # An embedded struct whose fields JSON shows in the parent (`json:""` or `json:",inline"`).
                inline = len(declaration) == 1 and json_name == ""
            fields[number] = (json_name, go_type.startswith("*"), omitempty, inline)


loaded = set()


def load(package):
    """Reads a package's proto and Go files once."""
    if package in loaded:
        return
    loaded.add(package)
    repo, directory = PACKAGES.get(package) or (API, package.removeprefix("k8s.io.api.").replace(".", "/"))
    parse_proto(package, git(repo, "show", f"HEAD:{directory}/generated.proto"))
    for path in git(repo, "ls-tree", "--name-only", "HEAD", directory + "/").split():
        base = path.rsplit("/", 1)[-1]
        if base.endswith(".go") and not base.endswith("_test.go") and not base.startswith("zz_") \
                and not base.startswith("generated"):
            parse_go(package, git(repo, "show", f"HEAD:{path}"))


for package in PACKAGES:
    load(package)

# Messages whose JSON form is not an object of their fields: the Swift side
# converts them by name, so their fields need no JSON facts.
SPECIAL = {f"{META}.Time", f"{META}.MicroTime", f"{META}.FieldsV1",
           "k8s.io.apimachinery.pkg.runtime.RawExtension", "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
           "k8s.io.apimachinery.pkg.api.resource.Quantity"}

roots = []
kinds = []
for api_version, names in KINDS.items():
    package = "k8s.io.api." + GROUPS[api_version].replace("/", ".")
    for entry in names:
        kind = entry.rstrip("!")
        for k in [kind] + ([] if entry.endswith("!") else [kind + "List"]):
            kinds.append((api_version, k, f"{package}.{k}"))
            roots.append(f"{package}.{k}")
for kind in META_KINDS:
    kinds.append(("*", kind, f"{META}.{kind}"))
    roots.append(f"{META}.{kind}")
roots.append("k8s.io.apimachinery.pkg.runtime.Unknown")

needed, queue = [], list(roots)
while queue:
    name = queue.pop()
    if name in needed:
        continue
    load(name.rsplit(".", 1)[0])
    if name not in messages:
        raise SystemExit(f"unknown message {name}")
    needed.append(name)
    if name in SPECIAL or name in array_wrappers:
        continue
    for _, _, type_name, _, _ in messages[name]:
        if type_name not in SCALARS:
            queue.append(type_name)

lines = []
for api_version, kind, message in kinds:
    lines.append(f"% {api_version} {kind} {message}")
for name in sorted(needed):
    flag = " special" if name in SPECIAL else (" array" if name in array_wrappers else "")
    lines.append(f"@ {name}{flag}")
    facts = go_fields.get(name, {})
    for number, proto_name, type_name, label, key in sorted(messages[name]):
        json_name, pointer, omitempty, inline = facts.get(number, (proto_name, False, True, False))
        if name not in SPECIAL and name not in array_wrappers and number not in facts:
            print(f"warning: {name} field {number} ({proto_name}) has no Go facts", file=sys.stderr)
        if json_name in (None, "", "-"):
            json_name = proto_name
        cardinality = {"optional": "1", "required": "1", "repeated": "*", "map": f"map:{key}"}[label]
        if inline:
            cardinality = "inline"
        policy = "p" if pointer else ("o" if omitempty else "k")
        lines.append(f"{number} {json_name} {type_name} {cardinality} {policy}")

table = "\n".join(lines)
print(f'''// Generated by hack/protobuf-schema.py from k8s.io/api and k8s.io/apimachinery
// (field numbers, JSON names and types are the Kubernetes API's facts). Do not edit.

extension ProtobufSchema {{
    /// The schema in its text form, read once by `ProtobufSchema.kubernetes`.
    ///
    /// `% apiVersion kind message` maps a kind to its message (`*` for any
    /// group version); `@ message [special|array]` starts a message; each field is
    /// `number jsonName type cardinality policy`, where cardinality is `1`, `*`
    /// (repeated), `map:keyType` or `inline` (an embedded message whose fields
    /// JSON shows in the parent), and policy says what a zero value read from
    /// the wire becomes: `p` kept (a Go pointer: presence), `o` dropped
    /// (`omitempty`), `k` kept (no `omitempty`).
    static let source = """
{table}
"""
}}''')
