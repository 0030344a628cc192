#!/usr/bin/env python3
"""Checks that a Dockerfile's runtime stage installs what a binary needs.

Usage: image_runtime_libs.py DOCKERFILE BINARY

Runs `ldd BINARY`, maps every shared library it names to the Debian package
that owns the file on this machine (`dpkg -S` on the resolved path; the
machine is Debian 12, the same release as the runtime image), and checks that
the package is installed by the Dockerfile's last stage: named in an
`apt-get install` there, or pulled in by one named there (`apt-cache depends
--recurse`, Depends and PreDepends only).

Not checked, each for its reason:
- the Swift runtime (libswift*, libFoundation*, lib_Foundation*, libdispatch,
  libBlocksRuntime, libicu* shipped with the toolchain): the images build with
  --static-swift-stdlib, which links these into the binary, while the local
  debug build links them dynamically from the toolchain;
- the glibc family (libc6: libc, libm, libdl, libpthread, librt, ld-linux) and
  the vDSO: part of every Debian image.

Prints one JSON object: {"installed": [...], "libraries": [{"soname", "path",
"package", "status"}], "errors": [...]}; exits 1 when there is any error.
"""
import json
import os
import re
import shlex
import subprocess
import sys

SWIFT_RUNTIME = re.compile(r"^(libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libicu.*swift)")
GLIBC_PACKAGES = {"libc6"}


def runtime_stage_packages(dockerfile: str) -> list:
    text = open(dockerfile).read().replace("\\\n", " ")
    stages = re.split(r"(?im)^FROM\s", text)
    runtime = stages[-1]
    packages = []
    for line in runtime.splitlines():
        if not line.strip().startswith("RUN"):
            continue
        for command in re.split(r"&&|;", line[len(line) - len(line.lstrip()) + 3:]):
            words = shlex.split(command)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages += [w for w in after if not w.startswith("-")]
    return packages


def dependency_closure(packages: list) -> set:
    if not packages:
        return set()
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances"] + packages,
        check=True, capture_output=True, text=True).stdout
    closure = set(packages)
    for line in out.splitlines():
        stripped = line.strip().lstrip("|")
        if stripped.startswith(("Depends:", "PreDepends:")):
            name = stripped.split(":", 1)[1].strip()
            if not name.startswith("<"):
                closure.add(name.split(":")[0])
        elif line and not line.startswith(" ") and not line.startswith("<"):
            closure.add(line.strip().split(":")[0])
    return closure


def ldd(binary: str) -> list:
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libraries = []
    for line in out.splitlines():
        line = line.strip()
        match = re.match(r"^(\S+)\s+=>\s+(\S+)", line)
        if match:
            libraries.append((match.group(1), match.group(2)))
        elif line and "=>" not in line:
            path = line.split()[0]
            libraries.append((os.path.basename(path), path))
    return libraries


def owning_package(path: str):
    for candidate in (os.path.realpath(path), path):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    return None


def main() -> int:
    dockerfile, binary = sys.argv[1], sys.argv[2]
    installed = runtime_stage_packages(dockerfile)
    closure = dependency_closure(installed)
    errors = []
    libraries = []
    if not installed:
        errors.append("%s: the last stage installs no packages" % dockerfile)
    for soname, path in ldd(binary):
        entry = {"soname": soname, "path": path, "package": None}
        if path == "not":
            entry["status"] = "missing"
            errors.append("%s: ldd cannot find %s on this machine" % (binary, soname))
        elif soname.startswith("linux-vdso"):
            entry["status"] = "vdso"
        elif SWIFT_RUNTIME.match(soname):
            entry["status"] = "swift-runtime-static"
        else:
            package = owning_package(path)
            entry["package"] = package
            if package is None:
                entry["status"] = "unowned"
                errors.append("%s: no Debian package owns %s (%s)" % (binary, soname, path))
            elif package in GLIBC_PACKAGES:
                entry["status"] = "glibc"
            elif package in closure:
                entry["status"] = "installed"
            else:
                entry["status"] = "not-installed"
                errors.append("%s needs %s from Debian package %s, which %s does not install (installs: %s)"
                              % (os.path.basename(binary), soname, package, dockerfile, " ".join(installed)))
        libraries.append(entry)
    print(json.dumps({"installed": installed, "libraries": libraries, "errors": errors}, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
