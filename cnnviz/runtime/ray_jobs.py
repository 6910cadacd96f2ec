"""Trainings on a Ray cluster (CNNVIZ_RAY_ADDRESS): one detached Ray actor per run, running the same worker code.

Why this shape (Ray 2.60):
- The Streamlit server never joins the cluster. A Ray driver terminates its whole process 60 s after it loses
  the head node, which would take a class's server down with the lab. Submitting and asking Ray about a run
  happen in a short helper process (`python -m cnnviz.worker.ray_helper submit|explain`); only that helper
  imports Ray, and it is killed if the cluster does not answer in time.
- Each training is a detached, named actor (`cnnviz-<run id>`, namespace "cnnviz"): detached, because a plain
  task dies with the driver that submitted it (the helper exits at once); one per run, so no launcher actor is
  a single point. It trains in its constructor and then exits, giving its GPU or CPU back. Ray holds it pending
  until a node has one free: Ray's scheduler is the queue.
- Liveness: the worker writes a heartbeat file into its run folder (the folder every node mounts) every
  HEARTBEAT_SECONDS. The server only reads that file. When it stops changing, a helper asks Ray why (the actor's
  death cause: worker killed, node lost, out of memory, or the head unreachable) and the run is marked failed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.runtime import runs, settings
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.runs import Run, RunState

NAMESPACE = "cnnviz"
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_STALE_SECONDS = 20.0  # ten missed beats: a busy worker is never this late, a dead one always
QUEUED_CHECK_SECONDS = 60.0  # how often to ask Ray about a run still waiting (it may have failed to start)
PROBE_SECONDS = 3.0
HELPER_SECONDS = 45.0  # the helper's own Ray connection gives up after about 8 s
HELPER_ENVIRONMENT = {
    # A driver that cannot reach the head retries for a minute or more, then exits: give up within seconds.
    "RAY_gcs_rpc_server_connect_timeout_s": "2",
    "RAY_gcs_rpc_server_reconnect_timeout_s": "3",
    "RAY_gcs_server_request_timeout_seconds": "10",
}
PASSED_ENVIRONMENT = ("KERAS_BACKEND", "KERAS_HOME", "CNNVIZ_DATASETS_DIR", "CNNVIZ_MAX_UPLOAD_MB")

heartbeats_seen: dict[str, tuple[str | None, float]] = {}  # folder -> (heartbeat text, when it last changed)
last_asked: dict[str, float] = {}  # folder -> when a helper last asked Ray about the run


def actor_name(run_id: str) -> str:
    """Return the Ray actor name of a run."""
    return f"cnnviz-{run_id}"


def split_address(address: str) -> tuple[str, int] | None:
    """Return (host, port) of a Ray GCS address, None for `auto`; refuse what is not an address."""
    if address == "auto":
        return None
    if "://" in address:
        raise CnnvizError(
            f"CNNVIZ_RAY_ADDRESS={address!r} is a Ray Client address; give the head's GCS address instead, "
            "host:6379 (the one `ray start --head` prints), or `auto` on a node of the cluster."
        )
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise CnnvizError(
            f"CNNVIZ_RAY_ADDRESS={address!r} is not host:port (e.g. 10.0.0.5:6379) nor `auto`. Fix it, or unset it "
            "to train on this machine."
        )
    return host.strip("[]"), int(port)


def check_address(address: str) -> None:
    """Fail at once, with the next step, when nothing answers at the Ray address (a TCP connect, no Ray import)."""
    parts = split_address(address)
    if parts is None:
        return
    try:
        socket.create_connection(parts, timeout=PROBE_SECONDS).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CnnvizError(
            f"No Ray cluster answers at CNNVIZ_RAY_ADDRESS={address} ({reason}). Start the head there "
            f"(ray start --head --port {parts[1]}), fix the address, or unset it to train on this machine."
        ) from None


def mark_queued(folder: Path, address: str) -> None:
    """Record that a new run goes to Ray and waits there (the caller holds the scheduler lock)."""
    runs.set_status(
        folder,
        RunState.QUEUED,
        "waiting for Ray",
        launcher=runs.RAY_LAUNCHER,
        ray_address=address,
        ray_actor=actor_name(folder.name),
    )


def submit(folder: Path, address: str) -> None:
    """Create the run's actor on Ray through the helper process; on failure mark the run failed and raise."""
    result = run_helper(["submit", "--address", address, "--run-dir", str(folder)], address)
    if result.get("error"):
        runs.set_status(folder, RunState.FAILED, result["error"])
        raise CnnvizError(result["error"])


def run_helper(arguments: list[str], address: str) -> dict:
    """Run `python -m cnnviz.worker.ray_helper ARGUMENTS` bounded in time; return its JSON answer or an error."""
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "cnnviz.worker.ray_helper", *arguments],
            env={**os.environ, **HELPER_ENVIRONMENT},
            capture_output=True,
            text=True,
            timeout=HELPER_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"error": no_answer_message(address, f"no answer in {HELPER_SECONDS:.0f} s")}
    lines = finished.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        pass
    # The helper died without its JSON line: Ray ended it (no head there), or Ray is not installed.
    if "No module named 'ray'" in finished.stderr:
        return {"error": "CNNVIZ_RAY_ADDRESS is set but Ray is not installed here: pip install 'cnnviz[ray]'."}
    return {"error": no_answer_message(address, "no Ray head there, or not reachable from this machine")}


def no_answer_message(address: str, detail: str) -> str:
    """Return the message for a Ray cluster that could not be used."""
    return (
        f"The Ray cluster at CNNVIZ_RAY_ADDRESS={address} did not answer ({detail}). Check that the head runs "
        "(ray status on it) and that this is its GCS address, or unset CNNVIZ_RAY_ADDRESS to train on this machine."
    )


def worker_problem(folder: Path, status: dict) -> str | None:
    """Return why a Ray run's worker looks gone (its heartbeat stopped), or None while it beats or waits."""
    state = status.get("state")
    if state == RunState.QUEUED.value:
        return None
    key = str(folder)
    try:
        text = RunFiles(folder).heartbeat.read_text()
    except OSError:
        text = None
    now = time.monotonic()
    seen = heartbeats_seen.get(key)
    if seen is None or seen[0] != text:
        heartbeats_seen[key] = (text, now)
        return None
    silent = now - seen[1]
    return f"no heartbeat for {silent:.0f} s" if silent >= HEARTBEAT_STALE_SECONDS else None


def needs_asking(run: Run) -> bool:
    """Return whether Ray should be asked about an active Ray run now (a silent worker, or a long wait)."""
    key, now = str(run.folder), time.monotonic()
    if run.state is RunState.QUEUED:
        first = last_asked.setdefault(key, now)  # the first look only starts the clock
        return now - first >= QUEUED_CHECK_SECONDS
    if worker_problem(run.folder, run.status) is None:
        return False
    return now - last_asked.get(key, 0.0) >= HEARTBEAT_STALE_SECONDS


def find_lost_runs(candidates: list[Run], address: str | None = None) -> dict[Path, str]:
    """Ask Ray about active Ray runs that need it; return {folder: message} for each that will never finish."""
    due = [run for run in candidates if run.state.is_active and run.is_on_ray and needs_asking(run)]
    if not due:
        return {}
    address = address or due[0].status.get("ray_address") or settings.ray_address() or "auto"
    now = time.monotonic()
    for run in due:
        last_asked[str(run.folder)] = now
    try:
        check_address(address)
        answer = run_helper(["explain", "--address", address, *(f"--run-dir={run.folder}" for run in due)], address)
    except CnnvizError as error:
        answer = {"error": str(error)}
    lost = {}
    for run in due:
        facts = answer.get("runs", {}).get(str(run.folder))
        message = explain_loss(run, facts, answer.get("error"))
        if message is not None:
            lost[run.folder] = message
    return lost


def explain_loss(run: Run, facts: dict | None, error: str | None) -> str | None:
    """Return why a run will never finish, from what Ray said about its actor, or None when it may still."""
    kept = f"The {run.epochs_done} finished epoch(s) are kept."
    if error:
        if run.state is RunState.QUEUED:
            return None  # nothing was lost yet: it starts when the cluster is back
        return f"The training's Ray worker went silent and Ray cannot be asked why: {error} {kept}"
    if facts and facts.get("state") == "UNKNOWN":
        return f"Ray has no record of this run's actor (was the head restarted?). {kept} Start the run again."
    if not facts or facts.get("state") != "DEAD":
        return None  # alive (busy, or a stalled shared folder), or still waiting for a node
    host, address = run.status.get("ray_host"), facts.get("node") or run.status.get("ray_node") or "?"
    node = f"{host} ({address})" if host else address
    reason = facts.get("reason", "")
    if reason == "NODE_DIED":
        return f"Ray lost node {node} (turned off, crashed or off the network) while it trained this run. {kept}"
    if reason == "OUT_OF_MEMORY":
        return f"Ray ended the training on node {node}: the node ran out of memory. Try a smaller batch size. {kept}"
    if reason == "RAY_KILL":
        return f"The training's Ray actor was killed (ray.kill) on node {node}. {kept}"
    if reason == "CREATION_FAILED":
        return (
            f"The training could not start on Ray node {node}: {facts.get('detail', '')[-300:]} "
            "Is cnnviz installed there (pip install 'cnnviz[ray]') and the run folder mounted at the same path?"
        )
    return f"The training's Ray worker on node {node} died (killed, or out of memory). {kept}"
