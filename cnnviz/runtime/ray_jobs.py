"""Trainings on a Ray cluster (CNNVIZ_RAY_ADDRESS): one detached Ray actor per run, running the same worker code.

Why this shape (Ray 2.60):
- The Streamlit server never joins the cluster. A Ray driver terminates its whole process 60 s after it loses
  the head node, which would take a class's server down with the lab. Submitting and asking Ray about a run
  happen in a short helper process (`python -m cnnviz.runtime.ray_jobs submit|explain`); only that helper
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

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.runtime import runs, settings
from cnnviz.runtime.runs import Run, RunState

NAMESPACE = "cnnviz"
HEARTBEAT_FILE = "heartbeat"
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


def is_ray_run(status: dict) -> bool:
    """Return whether a run's status says it was submitted to Ray."""
    return status.get("launcher") == "ray"


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
        launcher="ray",
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
    """Run `python -m cnnviz.runtime.ray_jobs ARGUMENTS` bounded in time; return its JSON answer or an error."""
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "cnnviz.runtime.ray_jobs", *arguments],
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
        text = (folder / HEARTBEAT_FILE).read_text()
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
    due = [run for run in candidates if run.state.is_active and is_ray_run(run.status) and needs_asking(run)]
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


class RayTrainer:
    """The Ray actor of one run: trains it in its constructor, on whichever node Ray picked, then exits."""

    def __init__(self, folder: str, environment: dict[str, str]) -> None:
        import ray

        run_folder = Path(folder)
        os.environ.update(environment)  # before Keras is imported: the backend is chosen at import
        start_heartbeat(run_folder)
        send_output_to(run_folder / "worker.log")
        try:
            state, _ = runs.read_state(run_folder)
            if state is RunState.QUEUED:  # else it was stopped (or failed) while it waited
                train_here(run_folder)
        finally:
            ray.actor.exit_actor()  # free the GPU or CPU for the next run at once


def train_here(folder: Path) -> None:
    """Record where on Ray the run trains, train it with the worker code, and say Ray in the final message."""
    import ray

    from cnnviz.learning import training

    context = ray.get_runtime_context()
    node = ray.util.get_node_ip_address()
    host = socket.gethostname()
    runs.set_status(
        folder,
        RunState.RUNNING,
        f"starting on Ray node {host} ({node})",
        pid=os.getpid(),
        launcher="ray",
        ray_node=node,
        ray_host=host,
        ray_actor_id=context.get_actor_id(),
        ray_node_id=context.get_node_id(),
        ray_gpus=[str(gpu) for gpu in ray.get_gpu_ids()],
    )
    status = training.train(folder)
    runs.set_status(folder, RunState(status["state"]), f"{status['message']} (on Ray node {host}, {node})")


def start_heartbeat(folder: Path) -> threading.Thread:
    """Start the daemon thread that rewrites the run's heartbeat file every HEARTBEAT_SECONDS."""

    def beat() -> None:
        count = 0
        while True:
            count += 1
            try:
                # Written in place, not renamed: NFS shows a reader a rewritten file at its next open.
                (folder / HEARTBEAT_FILE).write_text(f"{count} {time.time():.1f} {os.getpid()}\n")
            except OSError:
                pass  # a full or stalled disk: the run's own writes will say so
            time.sleep(HEARTBEAT_SECONDS)

    thread = threading.Thread(target=beat, name="cnnviz-heartbeat", daemon=True)
    thread.start()
    return thread


def send_output_to(log: Path) -> None:
    """Send this process's stdout and stderr to the run's worker.log, as the local launcher does."""
    sys.stdout.flush()
    sys.stderr.flush()
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def worker_environment(folder: Path) -> dict[str, str]:
    """Return the settings a worker on another node needs from here: the backend and cnnviz's folders."""
    environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if os.environ.get(name)}
    backend = runs.read_json(folder / "config.json").get("backend")
    if backend:
        environment["KERAS_BACKEND"] = backend
    environment["CNNVIZ_DATASETS_DIR"] = str(settings.datasets_dir())
    return environment


# The helper process: the only code that imports Ray outside the actor.


def connect(address: str) -> None:
    """Join the cluster as a short-lived driver (HELPER_ENVIRONMENT bounds the wait for a dead head)."""
    import logging

    import ray

    try:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as error:
        raise CnnvizError(no_answer_message(address, str(error).splitlines()[0][:200])) from None


def create_actor(folder: Path) -> dict:
    """Create the run's detached actor: one GPU where the cluster has GPUs, else one CPU; return what was asked."""
    import ray

    from cnnviz.runtime import ray_jobs  # by its module name: under `-m` this file is __main__, which no worker has

    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    trainer = ray.remote(ray_jobs.RayTrainer).options(
        name=actor_name(folder.name),
        namespace=NAMESPACE,
        lifetime="detached",  # outlives this helper; Ray frees it when the constructor exits
        max_restarts=0,  # a restarted actor would train the run again from scratch over its epochs
        num_cpus=1,
        num_gpus=gpus,
    )
    trainer.remote(str(folder), worker_environment(folder))
    ray.get_actor(actor_name(folder.name), namespace=NAMESPACE)  # registered with the head before we exit
    return {"actor": actor_name(folder.name), "gpus": gpus}


def describe_actor(folder: Path) -> dict:
    """Return what Ray knows of a run's actor: state (ALIVE, PENDING_CREATION, DEAD…), death reason, node."""
    from ray._private import state  # the GCS actor table: the public state API needs the dashboard

    status = runs.read_json(folder / "status.json")
    record = state.actors(status["ray_actor_id"]) if status.get("ray_actor_id") else {}
    if not record:
        name = status.get("ray_actor") or actor_name(folder.name)
        named = [entry for entry in state.actors().values() if entry.get("Name") == name]
        record = max(named, key=lambda entry: entry.get("StartTime") or 0, default={})
    if not record:
        return {"state": "UNKNOWN"}
    facts = {"state": record.get("State"), "node": (record.get("Address") or {}).get("IPAddress", "")}
    cause = record.get("DeathCause")
    if facts["state"] == "DEAD" and cause is not None:
        facts.update(read_death_cause(cause))
    return facts


def read_death_cause(cause) -> dict:
    """Return a death cause (Ray's ActorDeathCause message) as a reason name and detail text."""
    kind = cause.WhichOneof("context")
    if kind == "actor_died_error_context":
        context = cause.actor_died_error_context
        reason = type(context).Reason.Name(context.reason)
        return {"reason": reason, "detail": context.error_message, "node": context.node_ip_address}
    if kind == "oom_context":
        return {"reason": "OUT_OF_MEMORY", "detail": cause.oom_context.error_message}
    if kind in ("creation_task_failure_context", "runtime_env_failed_context"):
        context = getattr(cause, kind)
        detail = getattr(context, "formatted_exception_string", "") or getattr(context, "error_message", "")
        return {"reason": "CREATION_FAILED", "detail": detail.strip().splitlines()[-1] if detail.strip() else ""}
    return {"reason": (kind or "UNSPECIFIED").upper()}


def main(argv: list[str] | None = None) -> int:
    """The helper: `submit` or `explain` runs against the cluster; prints one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m cnnviz.runtime.ray_jobs")
    parser.add_argument("command", choices=["submit", "explain"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--run-dir", type=Path, action="append", required=True)
    arguments = parser.parse_args(argv)
    try:
        connect(arguments.address)
        if arguments.command == "submit":
            answer = create_actor(arguments.run_dir[0])
        else:
            answer = {"runs": {str(folder): describe_actor(folder) for folder in arguments.run_dir}}
    except CnnvizError as error:
        answer = {"error": str(error)}
    except Exception as error:  # noqa: BLE001 - the server must get a message, not the helper's traceback
        answer = {"error": f"Ray refused the request: {type(error).__name__}: {str(error)[:300]}"}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
