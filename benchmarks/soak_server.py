"""The server's side of a soak: its memory and open files from /proc, trainings back to back, and what is left over."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cnnviz.learning import training
from cnnviz.runtime import jobs, runs
from cnnviz.runtime.runs import RunState
from tests.e2e.browser import ROOT

TRAINING_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class ServerSample:
    """The server process's resident memory and open file descriptors at one moment."""

    seconds: float  # since the lesson began
    rss_kib: int
    open_files: int


def sample_server(pid: int, began: float) -> ServerSample:
    """Read a process's VmRSS (/proc/<pid>/status) and its number of open descriptors (/proc/<pid>/fd)."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return ServerSample(time.time() - began, rss, len(os.listdir(f"/proc/{pid}/fd")))


def describe_open_files(pid: int) -> str:
    """Return what a process's descriptors point to, counted by kind (socket, pipe, anon_inode, a file's path)."""
    kinds: dict[str, int] = {}
    for descriptor in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue
        kind = target.split(":", 1)[0] if ":[" in target or target.startswith("anon_inode") else target
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items(), key=lambda item: -item[1]))


def drain_output(process: subprocess.Popen) -> list[str]:
    """Read the server's output in a thread (a full pipe would block its logging) into a list it returns."""
    lines: list[str] = []

    def read_all() -> None:
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read_all, daemon=True).start()
    return lines


def leftover_processes(runs_dir: Path) -> list[str]:
    """Return the command lines of live `cnnviz` processes working on this run store (workers, warm workers)."""
    marker = os.fsencode(str(runs_dir))
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                arguments = handle.read()
            with open(f"/proc/{name}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"cnnviz" in arguments and marker in arguments and state not in ("Z", "X"):
            command = arguments.replace(b"\0", b" ").decode(errors="replace").strip()
            found.append(f"{name}: {command}")
    return found


def train_predict_model(runs_dir: Path, label: str) -> None:
    """Train the short run Predict is driven on, from the command line (`python -m cnnviz train`)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnviz",
            "train",
            "--recipe",
            "fashion_separable",
            "--dataset",
            "fashion_mnist",
            "--limit",
            "2000",
            "--epochs",
            "2",
            "--label",
            label,
            "--runs-dir",
            str(runs_dir),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,  # its progress bars would drown the figures
    )


@dataclass
class BackToBackTrainings:
    """Short trainings started one after another through jobs.start, each as soon as the last one ends."""

    runs_dir: Path
    epochs: int = 2
    limit: int = 2000
    started: list[str] = field(default_factory=list)
    ended: dict[str, str] = field(default_factory=dict)  # run id -> its final state

    def start_next(self) -> None:
        """Start one more short training (the Train page's path: a queued run folder, then a worker)."""
        config = training.default_config("fashion_separable", "fashion_mnist", epochs=self.epochs, limit=self.limit)
        self.started.append(jobs.start(config, self.runs_dir))

    def poll(self) -> bool:
        """Record the current run's end if it ended (a dead worker is recorded as failed); return if it ended."""
        run = jobs.watch(self.started[-1], self.runs_dir)
        if run.state.is_active:
            return False
        self.ended[run.run_id] = run.state.value
        return True

    async def keep_going(self, until: float) -> None:
        """Keep one training running until `until`, starting the next as each ends."""
        await asyncio.to_thread(self.start_next)
        while time.time() < until:
            await asyncio.sleep(TRAINING_POLL_SECONDS)
            if await asyncio.to_thread(self.poll) and time.time() < until:
                await asyncio.to_thread(self.start_next)

    def stop(self, timeout: float = 120) -> None:
        """Stop the training still running and wait for its worker to end (it stops within a batch)."""
        if not self.started or self.started[-1] in self.ended:
            return
        run_id = self.started[-1]
        if jobs.watch(run_id, self.runs_dir).state.is_active:
            jobs.stop(run_id, self.runs_dir)
        deadline = time.time() + timeout
        while time.time() < deadline and not self.poll():
            time.sleep(0.5)

    def describe(self) -> str:
        """Return how many trainings ran and how they ended."""
        states = [self.ended.get(run_id, "still running") for run_id in self.started]
        counted = {state: states.count(state) for state in dict.fromkeys(states)}
        failed = counted.get(RunState.FAILED.value, 0)
        return f"{len(states)} started ({', '.join(f'{n} {state}' for state, n in counted.items())}); failed {failed}"


def read_failures(runs_dir: Path, run_ids: list[str]) -> list[str]:
    """Return the message of every failed run among run_ids."""
    failures = []
    for run_id in run_ids:
        run = runs.load_run(run_id, runs_dir)
        if run.state is RunState.FAILED:
            failures.append(f"{run_id}: {run.message}")
    return failures
