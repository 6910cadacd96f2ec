"""What /proc says about a process: memory, open descriptors, CPU time, command line; and the machine's CPU time."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    """A process's resident memory and open file descriptors at one moment."""

    seconds: float  # since the moment the caller counts from
    rss_kib: int
    open_files: int
    threads: int = 0


def stat_fields(pid: int) -> list[str]:
    """Return /proc/<pid>/stat's fields after the command name (which may hold spaces): state first."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def resident_kib(pid: int) -> int:
    """Return a process's VmRSS in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))


def open_descriptors(pid: int) -> int:
    """Return how many file descriptors a process holds open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid: int) -> int:
    """Return how many threads a process runs."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:"))


def sample_process(pid: int, began: float) -> ProcessSample:
    """Return a process's memory, open descriptors and threads now, timed from `began` (a time.time())."""
    return ProcessSample(time.time() - began, resident_kib(pid), open_descriptors(pid), thread_count(pid))


def describe_open_files(pid: int) -> str:
    """Return what a process's descriptors point to, counted by kind (socket, pipe, anon_inode, a file's path)."""
    kinds: dict[str, int] = {}
    for descriptor in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue  # closed while we looked
        kind = target.split(":", 1)[0] if ":[" in target or target.startswith("anon_inode") else target
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items(), key=lambda item: -item[1]))


def process_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds a process (all its threads) has used so far."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu_seconds() -> float:
    """Return the busy CPU seconds of the whole machine so far (all cores, idle and iowait left out)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def command_line(pid: int) -> list[str]:
    """Return a process's arguments (empty for a kernel thread or a process already gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [argument.decode(errors="replace") for argument in raw.split(b"\0") if argument]


def is_running(pid: int) -> bool:
    """Return whether a process exists and is neither a zombie nor dead."""
    try:
        return stat_fields(pid)[0] not in ("Z", "X")
    except OSError:
        return False


def find_processes(*markers: str) -> dict[int, str]:
    """Return the live processes (not this one) whose command line holds every marker, as pid → command line."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        command = " ".join(command_line(int(name)))
        if command and all(marker in command for marker in markers) and is_running(int(name)):
            found[int(name)] = command
    return found
