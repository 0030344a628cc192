#!/usr/bin/env python3
"""What running train.py as a TrainingJob costs, against the same torchrun started by hand.

Runs, alternately (job, host, job, host, ...), the example on 2 workers of one
process each:

- job:  a TrainingJob on a local cluster (`ringmaster local up --with-operator`,
        Pods in their own namespaces, the operator as its ServiceAccount);
- host: two `torchrun --nnodes=2 --node-rank=0|1` processes started here, on
        127.0.0.1, with the same arguments and OMP_NUM_THREADS=1.

For each run it prints the seconds from submission (`kubectl apply`, or
starting the two torchrun processes) to rank 0's first training step (the log
line train.py writes just before its first step, after every rank joined), and
rank 0's samples/s over the run's epochs (from its per-epoch log lines). At the
end: medians and the job/host ratios.

Run as root from the repository root after `make deps && swift build`:

    .tools/venv/bin/python3 examples/pytorch-ddp/measure_overhead.py --epochs 2 --reps 2

A benchmark, not a test: its figures depend on the machine and on its load.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV_BIN = os.path.join(ROOT, ".tools", "venv", "bin")
KUBECTL = os.environ.get("RINGMASTER_KUBECTL", os.path.join(VENV_BIN, "kubectl"))
TRAIN = os.path.join(ROOT, "examples", "pytorch-ddp", "train.py")
IMAGE = "ringmaster-examples/pytorch-ddp:latest"
FIRST_STEP = re.compile(r"training and \d+ test samples")
EPOCH = re.compile(r"^\[rank 0/\d+\] epoch \d+/\d+: .* (\d+) samples/s", re.M)


def train_arguments(args):
    return ["--data=/usr/share/datasets/fashion-mnist", f"--epochs={args.epochs}", "--batch-size=64",
            "--lr=0.001", f"--train-limit={args.train_limit}", "--test-limit=2000"]


def samples_per_second(log_text):
    rates = [float(match) for match in EPOCH.findall(log_text)]
    if not rates:
        raise RuntimeError("no epoch line in rank 0's log:\n" + log_text[-2000:])
    return statistics.mean(rates)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def read_bytes(path):
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except (FileNotFoundError, ProcessLookupError):
        return ""


class LocalCluster:
    def __init__(self, ringmaster, directory):
        self.directory = directory
        self.env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ["PATH"],
                        KUBECONFIG=os.path.join(directory, "kubeconfig"))
        os.makedirs(directory, exist_ok=True)
        self.log = open(os.path.join(directory + "-local-up.log"), "w")
        self.process = subprocess.Popen(
            [ringmaster, "local", "up", "--data-dir", directory, "--with-operator",
             "--operator-rbac", os.path.join(ROOT, "config", "rbac"), "--image", f"{IMAGE}=host"],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        wait_for(lambda: os.path.exists(os.path.join(directory, "kubeconfig")), 120, "the local cluster's kubeconfig")
        wait_for(lambda: self.kubectl("get", "namespaces", check=False).returncode == 0, 120, "the API server")
        self.kubectl("apply", "-f", os.path.join(ROOT, "crds"))
        self.kubectl("wait", "--for=condition=Established", "crd/trainingjobs.ringmaster.dev", "--timeout=60s")

    def kubectl(self, *arguments, input=None, check=True):
        result = subprocess.run([KUBECTL, *arguments], input=input, capture_output=True, text=True, env=self.env)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(arguments)}: {result.stderr}")
        return result

    def run_job(self, args, index):
        name = f"overhead-{index}"
        job = f"""apiVersion: ringmaster.dev/v1alpha1
kind: TrainingJob
metadata:
  name: {name}
spec:
  workers: 2
  image: {IMAGE}
  command: ["torchrun"]
  args: ["--nnodes=$(PET_NNODES)", "--nproc-per-node=$(PET_NPROC_PER_NODE)", "--node-rank=$(PET_NODE_RANK)",
         "--master-addr=$(MASTER_ADDR)", "--master-port=$(MASTER_PORT)", "{TRAIN}",
         {", ".join('"' + a + '"' for a in train_arguments(args))}]
  resources:
    requests: {{cpu: 500m, memory: 1Gi}}
  storage: {{size: 1Gi}}
  runPolicy: {{backoffLimit: 0, cleanPodPolicy: None}}
  template:
    env:
    - {{name: OMP_NUM_THREADS, value: "1"}}
"""
        log_path = os.path.join(self.directory, "pods", "default", f"{name}-worker-0", "worker.log")
        own_before, children_before = self.cpu_seconds()
        sidecar = SidecarCPU()
        started = time.monotonic()
        self.kubectl("apply", "-f", "-", input=job)
        wait_for(lambda: FIRST_STEP.search(read(log_path)), 600, f"{name}'s first step")
        first_step = time.monotonic() - started
        phase = wait_for(lambda: self.kubectl("get", "tj", name, "-o", "jsonpath={.status.phase}", check=False)
                         .stdout.strip() in ("Succeeded", "Failed") and
                         self.kubectl("get", "tj", name, "-o", "jsonpath={.status.phase}").stdout.strip(),
                         3600, f"{name} to finish")
        if phase != "Succeeded":
            raise RuntimeError(f"{name} ended {phase}:\n{read(log_path)[-3000:]}")
        rate = samples_per_second(read(log_path))
        wait_for(lambda: self.cpu_seconds()[1] > children_before and not sidecar.running(), 120,
                 f"{name}'s processes to end")
        elapsed = time.monotonic() - started
        own, children = self.cpu_seconds()
        own -= own_before
        children -= children_before
        side = sidecar.stop()
        print(f"\tCPU seconds in {elapsed:.0f} s: local cluster and operator {own:.1f}, progress sidecar {side:.1f}, "
              f"trainers {children - side:.1f}; Ringmaster's share {100 * (own + side) / (own + children):.1f}%",
              flush=True)
        self.kubectl("delete", "tj", name, "--wait=true", "--timeout=120s")
        return first_step, rate

    def cpu_seconds(self):
        """CPU time (user and system) of `local up` itself (API server, node agent and operator, one
        process) and of its ended children: every Pod process, which it starts and waits for."""
        fields = read(f"/proc/{self.process.pid}/stat").rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class SidecarCPU:
    """The CPU time of the progress sidecars (`ringmaster-worker report-progress`) seen while it
    watches, by polling /proc: their last reading before they end."""

    def __init__(self):
        self.seen = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def sidecars(self):
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if b"report-progress" in read_bytes(f"/proc/{pid}/cmdline"):
                yield pid

    def watch(self):
        tick = os.sysconf("SC_CLK_TCK")
        while not self.stopping.wait(0.2):
            for pid in self.sidecars():
                stat = read(f"/proc/{pid}/stat")
                if stat:
                    fields = stat.rsplit(")", 1)[1].split()
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def running(self):
        return any(True for _ in self.sidecars())

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return sum(self.seen.values())



def run_host(args, directory, index):
    work = os.path.join(directory, f"host-{index}")
    logs = []
    processes = []
    started = time.monotonic()
    for rank in (0, 1):
        node = os.path.join(work, f"node-{rank}")
        os.makedirs(node)
        env = dict(os.environ, OMP_NUM_THREADS="1", RINGMASTER_CHECKPOINT_DIR=os.path.join(node, "checkpoints"),
                   RINGMASTER_ARTIFACT_DIR=os.path.join(node, "artifacts"),
                   RINGMASTER_PROGRESS_FILE=os.path.join(node, "progress.jsonl"))
        log = os.path.join(node, "worker.log")
        logs.append(log)
        processes.append(subprocess.Popen(
            [os.path.join(VENV_BIN, "torchrun"), "--nnodes=2", "--nproc-per-node=1", f"--node-rank={rank}",
             "--master-addr=127.0.0.1", "--master-port=29511", TRAIN, *train_arguments(args)],
            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, cwd=node))
    wait_for(lambda: FIRST_STEP.search(read(logs[0])), 600, "the host run's first step")
    first_step = time.monotonic() - started
    codes = [process.wait() for process in processes]
    if any(codes):
        raise RuntimeError(f"host run exited {codes}:\n{read(logs[0])[-3000:]}")
    return first_step, samples_per_second(read(logs[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-limit", type=int, default=0, help="training samples (0: all 60,000)")
    parser.add_argument("--reps", type=int, default=2, help="pairs of runs (job, host)")
    parser.add_argument("--ringmaster", default=os.path.join(ROOT, ".build", "debug", "ringmaster"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("measure_overhead.py: run as root (the local cluster puts each Pod in its own namespaces)")

    directory = tempfile.mkdtemp(prefix="ringmaster-overhead-")
    cluster = LocalCluster(args.ringmaster, os.path.join(directory, "cluster"))
    results = {"job": [], "host": []}
    try:
        for index in range(args.reps):
            for kind in ("job", "host"):
                first, rate = cluster.run_job(args, index) if kind == "job" else run_host(args, directory, index)
                results[kind].append((first, rate))
                print(f"{kind}\trun {index + 1}\tfirst step {first:.1f} s\t{rate:.0f} samples/s", flush=True)
    finally:
        cluster.stop()
    medians = {kind: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
               for kind, runs in results.items()}
    for kind, (first, rate) in medians.items():
        print(f"median {kind}\tfirst step {first:.1f} s\t{rate:.0f} samples/s")
    print(f"job/host\tfirst step {medians['job'][0] / medians['host'][0]:.2f}x\t"
          f"samples/s {medians['job'][1] / medians['host'][1]:.3f}x")
    print("pairs (job/host samples/s): " + ", ".join(
        f"{job[1] / host[1]:.3f}" for job, host in zip(results["job"], results["host"])))
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
