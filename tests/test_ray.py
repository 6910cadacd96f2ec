"""Trainings on a real local Ray head through jobs.start: Ray's queue, Stop, a killed worker, a dead address."""

import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from threading import Thread

import pytest

from cnnviz.errors import CnnvizError
from cnnviz.runtime import jobs, json_files, ray_jobs, runs
from cnnviz.runtime.run_files import RunFiles
from tests.apptest_helpers import run_cnnviz
from tests.helpers import ROOT, find_free_port, quick_config
from tests.waiting import wait_for

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="the ray extra is not installed")


def status_of(folder: Path) -> dict:
    return json_files.read_json(folder / "status.json")


@pytest.fixture(scope="module")
def ray_head():
    """Start a local Ray head of 2 CPUs (its own ports and a short temp dir) and stop exactly it afterwards."""
    temp_dir = tempfile.mkdtemp(prefix="cr", dir="/tmp")  # Ray's socket paths must stay short
    port = find_free_port()
    command = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--num-cpus", "2"]
    command += ["--include-dashboard=false", "--disable-usage-stats", "--port", str(port), "--temp-dir", temp_dir]
    client_port, agent_port = find_free_port(), find_free_port()
    command += ["--ray-client-server-port", str(client_port), "--dashboard-agent-listen-port", str(agent_port)]
    log = Path(temp_dir) / "head.log"
    with open(log, "w") as stream:
        head = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: "Ray runtime started" in log.read_text() or head.poll() is not None, timeout=90)
        assert head.poll() is None, log.read_text()[-2000:]
        yield f"127.0.0.1:{port}"
    finally:
        head.terminate()  # `ray start --block` stops the processes it started
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # anything of that head still in its process group
        except ProcessLookupError:
            pass
        subprocess.run(["rm", "-rf", temp_dir], check=False)


@needs_ray
def test_trainings_on_ray_queue_stop_and_survive_a_killed_worker(ray_head, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RAY_ADDRESS", ray_head)
    monkeypatch.setattr(ray_jobs, "HEARTBEAT_STALE_SECONDS", 6.0)
    stopped = jobs.start(quick_config(epochs=30, limit=1000), tmp_path)
    assert status_of(tmp_path / stopped)["launcher"] == "ray"
    # The CLI's --detach takes the same path and exits at once: the detached actor outlives it.
    detached = run_cnnviz(
        "train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--limit", "1000", "--epochs", "50",
        "--detach", "--runs-dir", str(tmp_path), timeout=120,
    )  # fmt: skip
    assert detached.returncode == 0, detached.stderr
    killed = detached.stdout.strip().splitlines()[-1]
    waiting = jobs.start(quick_config(epochs=1, limit=1000), tmp_path)  # both CPUs are taken: Ray queues it
    assert status_of(tmp_path / waiting)["message"] == "waiting for Ray"

    stop_folder, kill_folder, waiting_folder = (tmp_path / run for run in (stopped, killed, waiting))
    wait_for(lambda: json_files.read_jsonl(stop_folder / "batches.jsonl"))
    assert jobs.stop(stopped, tmp_path) == "stopping"
    assert jobs.stop(waiting, tmp_path) == "stopped"
    wait_for(lambda: jobs.watch(stopped, tmp_path).state == "stopped", timeout=60)
    run = jobs.watch(stopped, tmp_path)
    assert run.epochs_done < 30 and "(on Ray node" in run.message, run.message
    assert {"ray_actor_id", "ray_node", "ray_host"} <= set(run.status) and run.status["launcher"] == "ray"

    wait_for(lambda: len(runs.read_history(kill_folder)) >= 1, timeout=90)
    os.kill(status_of(kill_folder)["pid"], signal.SIGKILL)
    run = wait_for(lambda: (run := jobs.watch(killed, tmp_path)).state == "failed" and run, timeout=60)
    assert "Ray worker on node" in run.message and "died" in run.message, run.message
    assert "finished epoch(s) are kept" in run.message and run.epochs_done >= 1
    assert (kill_folder / "model.keras").is_file()

    # The run stopped while it waited gets its turn on Ray now, sees the stop, and trains nothing.
    wait_for(lambda: RunFiles(waiting_folder).heartbeat.is_file(), timeout=60)
    time.sleep(2)
    assert status_of(waiting_folder)["state"] == "stopped" and not runs.read_history(waiting_folder)


def test_a_dead_or_malformed_address_fails_at_once_without_a_run(tmp_path, monkeypatch):
    for address, words in [
        (f"127.0.0.1:{find_free_port()}", "No Ray cluster answers"),
        ("no-such-host.invalid:6379", "No Ray cluster answers"),
        ("nonsense", "is not host:port"),
        ("ray://10.0.0.5:10001", "Ray Client address"),
    ]:
        monkeypatch.setenv("CNNVIZ_RAY_ADDRESS", address)
        started = time.monotonic()
        with pytest.raises(CnnvizError, match=words):
            jobs.start(quick_config(epochs=1, limit=1000), tmp_path)
        assert time.monotonic() - started < 5
    assert not list(tmp_path.iterdir()), "no run folder for a run that could not be submitted"


@needs_ray
def test_an_address_where_something_else_answers_fails_with_a_message(tmp_path, monkeypatch):
    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *arguments) -> None:
            pass

    server = HTTPServer(("0.0.0.0", 0), QuietHandler)  # Ray dials the host's IP for 127.0.0.1
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CNNVIZ_RAY_ADDRESS", f"127.0.0.1:{server.server_port}")
        started = time.monotonic()
        with pytest.raises(CnnvizError, match="did not answer"):
            jobs.start(quick_config(epochs=1, limit=1000), tmp_path)
        assert time.monotonic() - started < ray_jobs.HELPER_SECONDS
    finally:
        server.shutdown()
    (folder,) = (path for path in tmp_path.iterdir() if path.is_dir())
    assert status_of(folder)["state"] == "failed" and "did not answer" in status_of(folder)["message"]


def test_without_a_ray_address_nothing_imports_ray(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        os.environ.pop("CNNVIZ_RAY_ADDRESS", None)
        from cnnviz.learning import training
        from cnnviz.runtime import jobs, runs
        root = Path({str(tmp_path)!r})
        os.environ["CNNVIZ_MAX_JOBS"] = "1"
        folder = runs.create_run(training.default_config("fashion_separable", "fashion_mnist", epochs=1), root)
        runs.set_status(folder, runs.RunState.RUNNING, "a worker that is gone", pid=2**22 + 1)
        queued = runs.create_run(training.default_config("fashion_separable", "fashion_mnist", epochs=1), root)
        assert jobs.stop(queued.name, root) == "stopped"
        assert jobs.watch(folder.name, root).state == "failed"
        jobs.refresh(root)
        assert "ray" not in sys.modules, "ray was imported"
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def fake_run(tmp_path: Path, state: str = "running", epochs: int = 2) -> runs.Run:
    folder = runs.create_run(quick_config(epochs=5, limit=1000), tmp_path)
    runs.set_status(folder, runs.RunState(state), "training", launcher="ray", ray_actor_id="ab" * 16)
    for epoch in range(epochs):
        json_files.append_jsonl(folder / "history.jsonl", {"epoch": epoch + 1, "val_accuracy": 0.5})
    return runs.load_folder(folder)


def test_each_way_to_lose_a_ray_run_has_its_own_message(tmp_path):
    run = fake_run(tmp_path)
    dead = {"state": "DEAD", "node": "10.0.0.7"}
    messages = {
        reason: ray_jobs.explain_loss(run, {**dead, "reason": reason}, None)
        for reason in ("WORKER_DIED", "NODE_DIED", "OUT_OF_MEMORY", "RAY_KILL")
    }
    assert "Ray lost node 10.0.0.7" in messages["NODE_DIED"], "the IP where no hostname was recorded"
    assert "ran out of memory" in messages["OUT_OF_MEMORY"]
    assert "worker on node 10.0.0.7 died" in messages["WORKER_DIED"]
    assert all("The 2 finished epoch(s) are kept." in message for message in messages.values())
    failure = {**dead, "reason": "CREATION_FAILED", "detail": "No module named x"}
    failed_start = ray_jobs.explain_loss(run, failure, None)
    assert "No module named x" in failed_start and "pip install 'cnnviz[ray]'" in failed_start
    assert ray_jobs.explain_loss(run, {"state": "ALIVE"}, None) is None, "a live actor is never failed"
    assert "no record of this run's actor" in ray_jobs.explain_loss(run, {"state": "UNKNOWN"}, None)
    assert "Ray cannot be asked why" in ray_jobs.explain_loss(run, None, "no answer")
    assert ray_jobs.explain_loss(fake_run(tmp_path, "queued", 0), None, "no answer") is None


def test_a_silent_worker_is_noticed_only_after_the_stale_time(tmp_path, monkeypatch):
    monkeypatch.setattr(ray_jobs, "HEARTBEAT_STALE_SECONDS", 0.3)
    run = fake_run(tmp_path)
    run.files.heartbeat.write_text("1")
    assert ray_jobs.worker_problem(run.folder, run.status) is None  # the first look starts the clock
    run.files.heartbeat.write_text("2")
    time.sleep(0.2)
    assert ray_jobs.worker_problem(run.folder, run.status) is None, "it beat since the last look"
    time.sleep(0.4)
    assert ray_jobs.worker_problem(run.folder, run.status).startswith("no heartbeat for")
