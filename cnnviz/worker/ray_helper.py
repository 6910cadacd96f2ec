"""Where Ray is imported: the bounded helper process that submits and asks, and the actor that trains.

`cnnviz.runtime.ray_jobs` (the server's side) runs `python -m cnnviz.worker.ray_helper submit|explain`;
nothing else imports this module, so the Streamlit server never imports Ray.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.learning import training
from cnnviz.runtime import runs, settings
from cnnviz.runtime.json_files import read_json
from cnnviz.runtime.ray_jobs import (
    HEARTBEAT_SECONDS,
    NAMESPACE,
    PASSED_ENVIRONMENT,
    actor_name,
    no_answer_message,
)
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.runs import RunState


class RayTrainer:
    """The Ray actor of one run: trains it in its constructor, on whichever node Ray picked, then exits."""

    def __init__(self, folder: str, environment: dict[str, str]) -> None:
        import ray

        run_folder = Path(folder)
        os.environ.update(environment)  # before Keras is imported: the backend is chosen at import
        start_heartbeat(run_folder)
        send_output_to(RunFiles(run_folder).worker_log)
        try:
            state, _ = runs.read_state(run_folder)
            if state is RunState.QUEUED:  # else it was stopped (or failed) while it waited
                train_here(run_folder)
        finally:
            ray.actor.exit_actor()  # free the GPU or CPU for the next run at once


def train_here(folder: Path) -> None:
    """Record where on Ray the run trains, train it with the worker code, and say Ray in the final message."""
    import ray

    context = ray.get_runtime_context()
    node = ray.util.get_node_ip_address()
    host = socket.gethostname()
    runs.set_status(
        folder,
        RunState.RUNNING,
        f"starting on Ray node {host} ({node})",
        pid=os.getpid(),
        launcher=runs.RAY_LAUNCHER,
        ray_node=node,
        ray_host=host,
        ray_actor_id=context.get_actor_id(),
        ray_node_id=context.get_node_id(),
        ray_gpus=[str(gpu) for gpu in ray.get_gpu_ids()],
    )
    run = training.train(folder)
    runs.set_status(folder, run.state, f"{run.message} (on Ray node {host}, {node})")


def start_heartbeat(folder: Path) -> threading.Thread:
    """Start the daemon thread that rewrites the run's heartbeat file every HEARTBEAT_SECONDS."""

    def beat() -> None:
        count = 0
        while True:
            count += 1
            try:
                # Written in place, not renamed: NFS shows a reader a rewritten file at its next open.
                RunFiles(folder).heartbeat.write_text(f"{count} {time.time():.1f} {os.getpid()}\n")
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
    backend = read_json(RunFiles(folder).config).get("backend")
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

    from cnnviz.worker import ray_helper  # by its module name: under `-m` this file is __main__, which no worker has

    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    trainer = ray.remote(ray_helper.RayTrainer).options(
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

    status = read_json(RunFiles(folder).status)
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
    parser = argparse.ArgumentParser(prog="python -m cnnviz.worker.ray_helper")
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
