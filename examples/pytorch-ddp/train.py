#!/usr/bin/env python3
"""Fashion-MNIST on a small CNN with PyTorch DistributedDataParallel (CPU, gloo).

Started by torchrun, which gives every process RANK, LOCAL_RANK, WORLD_SIZE,
MASTER_ADDR and MASTER_PORT; without them it runs as a single process.

    torchrun --standalone --nproc-per-node=2 train.py --data=/usr/share/datasets/fashion-mnist

What it does with the Ringmaster environment (each also has an option):
  RINGMASTER_CHECKPOINT_DIR  rank 0 writes checkpoint.pt there after every epoch
                             (model, optimizer, epoch; written to a temporary file
                             and renamed); at start, every rank resumes after the
                             epoch of the checkpoint found there.
  RINGMASTER_ARTIFACT_DIR    rank 0 writes model.safetensors and model.json there
                             after the last epoch and the test-set evaluation.
  RINGMASTER_PROGRESS_FILE   rank 0 appends one JSON object per line (Ringmaster's
                             progress contract): one per epoch, one per
                             checkpoint, one for the artifact and test metrics.

Exit codes: 0 done; 20 bad input (options, data directory, checkpoint), which no
restart can fix (the code of ringmaster-worker's invalid input, which the
operator's default failure policy fails the job on at once); anything else is a
failure a restart may fix. torchrun itself exits 1 when any of its processes
fails, whatever that process's code: to give the Pod the trainer's own exit
code, run one process per worker without torchrun (`python train.py`: the
operator's RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT are all it needs).

Test-only fault: TRAIN_FAULT="rank=1,epoch=2,exit=42" makes global rank 1 exit
with code 42 at the start of epoch 2; add "step=N" to exit before step N of that
epoch instead (mid-epoch), and "attempt=K" to fire only when
RINGMASTER_RESTART_ATTEMPT (default 0) is K, so that a restarted gang passes.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

# Input no restart can fix: Ringmaster's default failure policy fails the job on it at once.
EXIT_INVALID_INPUT = 20
CHECKPOINT_NAME = "checkpoint.pt"
MODEL_NAME = "model.safetensors"
MODEL_CARD_NAME = "model.json"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Fashion-MNIST's pixel mean and standard deviation, on [0, 1].
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class InvalidInput(Exception):
    """Input that no restart can fix; the process exits with EXIT_INVALID_INPUT."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        raise InvalidInput(message)


def parse_arguments(argv):
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("RINGMASTER_DATASET_PATH", "/usr/share/datasets/fashion-mnist"),
                        help="directory with the four Fashion-MNIST IDX files, gzipped or not")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--channels", default="16,32", help="output channels of the two convolutions")
    parser.add_argument("--train-limit", type=int, default=0, help="use the first N training samples (0: all)")
    parser.add_argument("--test-limit", type=int, default=0, help="use the first N test samples (0: all)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads per process (0: torch's default)")
    parser.add_argument("--checkpoint-dir", default=os.environ.get("RINGMASTER_CHECKPOINT_DIR", ""))
    parser.add_argument("--artifact-dir", default=os.environ.get("RINGMASTER_ARTIFACT_DIR", ""))
    parser.add_argument("--progress-file", default=os.environ.get("RINGMASTER_PROGRESS_FILE", ""))
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    for name in ("train_limit", "test_limit", "threads"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative, got {getattr(args, name)}")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        parser.error(f"--lr must be a positive number, got {args.lr}")
    try:
        args.channels = [int(c) for c in args.channels.split(",")]
    except ValueError:
        parser.error(f"--channels must be two comma-separated integers, got {args.channels!r}")
    if len(args.channels) != 2 or min(args.channels) < 1:
        parser.error(f"--channels must be two positive integers, got {args.channels}")
    return args


# MARK: data

def read_idx(path, expected_dims, limit=0):
    """An IDX file (unsigned bytes) as a numpy array, its first `limit` items
    only when limit > 0 (the rest is not even decompressed); gzip is recognised
    by its magic bytes."""
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as f:
            header = f.read(4)
            if len(header) < 4 or header[0:2] != b"\0\0" or header[2] != 0x08:
                raise InvalidInput(f"{path}: not an IDX file of unsigned bytes")
            dims = header[3]
            if dims != expected_dims:
                raise InvalidInput(f"{path}: {dims} dimensions, expected {expected_dims}")
            shape = list(struct.unpack(f">{dims}I", f.read(4 * dims)))
            if limit and limit < shape[0]:
                shape[0] = limit
            expected = math.prod(shape)
            body = f.read(expected)
            trailing = b"" if limit else f.read(1)
    except (OSError, EOFError, struct.error) as error:
        raise InvalidInput(f"{path}: cannot read: {error}")
    if len(body) != expected or trailing:
        raise InvalidInput(f"{path}: the header says shape {shape} ({expected} bytes), "
                           f"the body has {'more' if trailing else len(body)} bytes")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def find_idx(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise InvalidInput(f"data directory {directory} has no {stem}[.gz]")


def load_split(directory, split, limit):
    """(images normalised to float32 N×1×28×28, labels int64 N) of one split."""
    images_stem, labels_stem = IDX_FILES[split]
    images = read_idx(find_idx(directory, images_stem), 3, limit)
    labels = read_idx(find_idx(directory, labels_stem), 1, limit)
    if len(images) != len(labels):
        raise InvalidInput(f"{directory}: {split} split has {len(images)} images but {len(labels)} labels")
    if images.shape[1:] != (28, 28):
        raise InvalidInput(f"{directory}: {split} images are {images.shape[1]}×{images.shape[2]}, expected 28×28")
    if labels.size and labels.max() >= len(CLASSES):
        raise InvalidInput(f"{directory}: {split} labels go up to {labels.max()}, expected 0-9")
    x = torch.from_numpy(images.astype(np.float32)).div_(255).sub_(PIXEL_MEAN).div_(PIXEL_STD).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# MARK: model

class FashionCNN(nn.Module):
    """conv 3×3 - ReLU - max-pool 2 - conv 3×3 - ReLU - max-pool 2 - fully connected."""

    def __init__(self, channels=(16, 32), classes=len(CLASSES)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels[0], kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(channels[0], channels[1], kernel_size=3, padding=1)
        self.fc = nn.Linear(channels[1] * 7 * 7, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def architecture(args):
    return {
        "name": "FashionCNN",
        "framework": f"pytorch {torch.__version__}",
        "input": {"shape": [1, 28, 28], "dtype": "float32",
                  "normalization": {"scale": 1 / 255, "mean": PIXEL_MEAN, "std": PIXEL_STD}},
        "layers": [
            {"type": "conv2d", "name": "conv1", "in": 1, "out": args.channels[0], "kernel": 3, "padding": 1},
            {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
            {"type": "conv2d", "name": "conv2", "in": args.channels[0], "out": args.channels[1], "kernel": 3, "padding": 1},
            {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
            {"type": "flatten"},
            {"type": "linear", "name": "fc", "in": args.channels[1] * 49, "out": len(CLASSES)},
        ],
        "classes": CLASSES,
    }


# MARK: progress, checkpoints, artifacts (rank 0 only)

def report_progress(path, record):
    """Appends record as one JSON line to the progress file (no-op without one),
    as Ringmaster's progress contract says: keys epoch, total_epochs, step,
    loss, accuracy, samples_per_second; checkpoint (with epoch and step);
    artifact and metrics. A number that is not finite is written as null."""
    if not path:
        return
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(finite_or_null(record), allow_nan=False) + "\n")
        f.flush()


def finite_or_null(value):
    if isinstance(value, dict):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_atomically(path, write):
    """Calls write(temporary_path), then renames the temporary file to path."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        write(temporary)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def save_checkpoint(directory, model, optimizer, epoch, args):
    path = os.path.join(directory, CHECKPOINT_NAME)
    state = {"epoch": epoch, "channels": args.channels, "model": model.state_dict(), "optimizer": optimizer.state_dict()}
    write_atomically(path, lambda temporary: torch.save(state, temporary))
    return path


def load_checkpoint(directory, args):
    """The checkpoint in directory, or None; InvalidInput when it is of another model."""
    if not directory:
        return None
    path = os.path.join(directory, CHECKPOINT_NAME)
    if os.path.isdir(directory):
        # A rank 0 killed while writing leaves its temporary file behind.
        for name in os.listdir(directory):
            if name.startswith(CHECKPOINT_NAME + ".tmp-"):
                os.remove(os.path.join(directory, name))
    if not os.path.isfile(path):
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise InvalidInput(f"checkpoint {path} cannot be read: {error}")
    if state.get("channels") != args.channels:
        raise InvalidInput(f"checkpoint {path} is of a model with channels {state.get('channels')}, "
                           f"this run has --channels {','.join(map(str, args.channels))}")
    return state


def save_artifact(directory, model, args, metrics):
    path = os.path.join(directory, MODEL_NAME)
    tensors = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    metadata = {"architecture": "FashionCNN", "channels": ",".join(map(str, args.channels)),
                "test_accuracy": f"{metrics['test_accuracy']:.6f}"}
    write_atomically(path, lambda temporary: save_file(tensors, temporary, metadata=metadata))
    card = dict(architecture(args), metrics=metrics, weights=MODEL_NAME)
    write_atomically(os.path.join(directory, MODEL_CARD_NAME), lambda temporary: write_text(temporary, json.dumps(card, indent=2) + "\n"))
    return path


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# MARK: the test-only fault

def parse_fault(text):
    if not text:
        return None
    try:
        fields = dict(item.split("=", 1) for item in text.split(","))
        fault = {key: int(value) for key, value in fields.items()}
    except ValueError:
        raise InvalidInput(f"TRAIN_FAULT={text!r}: expected rank=R,epoch=E,exit=C[,step=S][,attempt=A]")
    unknown = set(fault) - {"rank", "epoch", "exit", "step", "attempt"}
    if unknown or not {"rank", "epoch", "exit"} <= set(fault):
        raise InvalidInput(f"TRAIN_FAULT={text!r}: expected rank=R,epoch=E,exit=C[,step=S][,attempt=A]")
    return fault


def maybe_fail(fault, rank, epoch, step):
    if not fault or fault["rank"] != rank or fault["epoch"] != epoch or fault.get("step", 0) != step:
        return
    if "attempt" in fault and fault["attempt"] != int(os.environ.get("RINGMASTER_RESTART_ATTEMPT", "0") or 0):
        return
    print(f"[rank {rank}] TRAIN_FAULT: exiting with code {fault['exit']} at epoch {epoch} step {step}", flush=True)
    os._exit(fault["exit"])


# MARK: training

def all_sum(values):
    """Sums a list of floats over all ranks."""
    tensor = torch.tensor(values, dtype=torch.float64)
    if dist.is_initialized():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def evaluate(model, x, y, rank, world, batch_size):
    """(mean loss, accuracy) over the whole set; each rank takes every world-th sample."""
    model.eval()
    loss_sum, correct = 0.0, 0
    shard_x, shard_y = x[rank::world], y[rank::world]
    with torch.no_grad():
        for start in range(0, len(shard_x), batch_size):
            logits = model(shard_x[start:start + batch_size])
            labels = shard_y[start:start + batch_size]
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(1) == labels).sum().item()
    loss_sum, correct, count = all_sum([loss_sum, correct, len(shard_x)])
    return loss_sum / max(count, 1), correct / max(count, 1)


def main(argv):
    args = parse_arguments(argv)
    fault = parse_fault(os.environ.get("TRAIN_FAULT", ""))
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    log = lambda message: print(f"[rank {rank}/{world}] {message}", flush=True)

    # Input first, so that bad input fails fast on every rank, before any peer waits.
    if not os.path.isdir(args.data):
        raise InvalidInput(f"data directory {args.data} does not exist (set --data to the directory "
                           "of the Fashion-MNIST IDX files)")
    train_x, train_y = load_split(args.data, "train", args.train_limit)
    test_x, test_y = load_split(args.data, "test", args.test_limit)
    checkpoint = load_checkpoint(args.checkpoint_dir, args) if rank == 0 else None

    if args.threads:
        torch.set_num_threads(args.threads)
    if world > 1:
        dist.init_process_group("gloo")
        # Rank 0's checkpoint goes to every rank: the directory need not be shared.
        holder = [checkpoint]
        dist.broadcast_object_list(holder, src=0)
        checkpoint = holder[0]

    torch.manual_seed(args.seed)
    model = FashionCNN(args.channels)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    first_epoch = 1
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        first_epoch = checkpoint["epoch"] + 1
        log(f"resumed from checkpoint at epoch {checkpoint['epoch']} "
            f"({os.path.join(args.checkpoint_dir, CHECKPOINT_NAME)}); continuing with epoch {first_epoch}")
    ddp = DistributedDataParallel(model) if world > 1 else model

    dataset = TensorDataset(train_x, train_y)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    steps_per_epoch = len(loader)
    log(f"{len(train_x)} training and {len(test_x)} test samples, {steps_per_epoch} steps of {args.batch_size} "
        f"per epoch per rank, epochs {first_epoch}-{args.epochs}, {torch.get_num_threads()} threads")

    trained_samples, training_seconds = 0, 0.0
    for epoch in range(first_epoch, args.epochs + 1):
        maybe_fail(fault, rank, epoch, 0)
        sampler.set_epoch(epoch)
        ddp.train()
        loss_sum, correct, seen = 0.0, 0, 0
        started = time.monotonic()
        for step, (x, y) in enumerate(loader, start=1):
            maybe_fail(fault, rank, epoch, step)
            optimizer.zero_grad(set_to_none=True)
            logits = ddp(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        elapsed = time.monotonic() - started
        loss_sum, correct, seen = all_sum([loss_sum, correct, seen])
        trained_samples += seen
        training_seconds += elapsed
        record = {"epoch": epoch, "total_epochs": args.epochs, "step": epoch * steps_per_epoch,
                  "loss": round(loss_sum / seen, 6), "accuracy": round(correct / seen, 6),
                  "samples_per_second": round(seen / elapsed, 1)}
        log(f"epoch {epoch}/{args.epochs}: loss {record['loss']:.4f}, accuracy {record['accuracy']:.4f}, "
            f"{record['samples_per_second']:.0f} samples/s")
        if rank == 0:
            report_progress(args.progress_file, record)
            if args.checkpoint_dir:
                path = save_checkpoint(args.checkpoint_dir, model, optimizer, epoch, args)
                log(f"checkpoint of epoch {epoch} written to {path}")
                report_progress(args.progress_file, {"checkpoint": path, "epoch": epoch, "step": record["step"]})
        if world > 1:
            dist.barrier()  # no rank runs ahead of a checkpoint that may not exist yet

    test_loss, test_accuracy = evaluate(model, test_x, test_y, rank, world, 1000)
    metrics = {"test_accuracy": round(test_accuracy, 6), "test_loss": round(test_loss, 6),
               "training_seconds": round(training_seconds, 3)}
    if training_seconds > 0:
        metrics["samples_per_second"] = round(trained_samples / training_seconds, 1)
    log(f"test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f}")
    if rank == 0:
        if args.artifact_dir:
            path = save_artifact(args.artifact_dir, model, args, metrics)
            log(f"model written to {path}")
            report_progress(args.progress_file, {"artifact": path, "metrics": metrics})
        else:
            report_progress(args.progress_file, {"metrics": metrics})
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except InvalidInput as error:
        print(f"train.py: error: {error}", file=sys.stderr, flush=True)
        sys.exit(EXIT_INVALID_INPUT)
