"""The warm worker: a process with Keras imported takes the next run; the cap, Stop and kill -9 still hold."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from cnnviz.learning import training
from cnnviz.runtime import jobs, runs, warm
from cnnviz.worker import warm_serving
from tests.helpers import quick_config
from tests.waiting import wait_for


def test_a_warm_worker_takes_the_run_and_the_cap_still_queues_the_next(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "1")
    pid = jobs.keep_warm_worker(tmp_path) or int((tmp_path / ".warm" / "starting").read_text())
    wait_for(lambda: warm.idle_workers(tmp_path), timeout=120)
    assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + 10, "pages answer first"
    assert jobs.keep_warm_worker(tmp_path) is None, "one waiting worker is enough"
    first, second = jobs.start(quick_config(), tmp_path), jobs.start(quick_config(), tmp_path)
    run = runs.load_run(first, tmp_path)
    # The worker may have moved on to its own status already; the hand-over's came first and named it.
    assert run.pid == pid and run.message != "starting the worker", run.message
    assert runs.load_run(second, tmp_path).state is runs.RunState.QUEUED, "a warm worker does not lift the cap"
    assert jobs.worker_problem(pid, first) is None and jobs.worker_problem(pid, second) is not None
    wait_for(lambda: jobs.watch(first, tmp_path).state is runs.RunState.FINISHED)
    wait_for(lambda: not warm.is_alive(pid), timeout=30)  # one run per warm worker, then it exits
    wait_for(lambda: (jobs.refresh(tmp_path) or True) and jobs.watch(second, tmp_path).state is runs.RunState.FINISHED)
    assert runs.load_run(second, tmp_path).epochs_done == 1


def test_kill_9_of_a_warm_worker_fails_its_run_and_an_orphan_exits(tmp_path):
    jobs.keep_warm_worker(tmp_path)
    wait_for(lambda: warm.idle_workers(tmp_path), timeout=120)
    run_id = jobs.start(training.default_config("fashion_separable", "fashion_mnist", epochs=20, limit=4000), tmp_path)
    pid = runs.load_run(run_id, tmp_path).pid
    wait_for(lambda: runs.load_run(run_id, tmp_path).batches())
    os.kill(pid, signal.SIGKILL)
    run = wait_for(lambda: (r := jobs.watch(run_id, tmp_path)).state is runs.RunState.FAILED and r, timeout=30)
    assert "ended without a word" in run.message
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1)"])
    orphan = subprocess.Popen(
        [sys.executable, "-m", "cnnviz", "worker", "--runs-dir", str(tmp_path), "--parent", str(server.pid)]
    )
    server.wait()
    assert orphan.wait(timeout=120) == 0, "a warm worker whose server is gone exits by itself"


def test_a_run_that_waits_in_the_queue_starts_in_a_worker_warmed_for_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "1")
    long_run = training.default_config("fashion_separable", "fashion_mnist", epochs=20, limit=4000)
    first = jobs.start(long_run, tmp_path)  # no warm worker yet: a process of its own
    second = jobs.start(quick_config(dropout=True), tmp_path)  # waits, and a worker warms up for it meanwhile
    pid = int((tmp_path / ".warm" / "starting").read_text())
    # Right after the launch the child may not show its command line yet (seen once on a loaded machine).
    arguments = wait_for(lambda: Path(f"/proc/{pid}/cmdline").read_bytes(), timeout=10).split(b"\0")
    assert b"--for-queue" in arguments, "it lives as long as the queue, not its starter"
    assert runs.load_run(first, tmp_path).pid != pid
    wait_for(lambda: pid in warm.idle_workers(tmp_path), timeout=120)
    jobs.stop(first, tmp_path)  # the slot frees: the worker that ends hands the queued run over
    wait_for(lambda: (jobs.refresh(tmp_path) or True) and jobs.watch(second, tmp_path).state is runs.RunState.FINISHED)
    assert runs.load_run(second, tmp_path).pid == pid, "the warm worker trained the queued run"
    log = (tmp_path / ".warm" / "worker.log").read_text()
    assert "could not prepare" not in log, log[-2000:]
    wait_for(lambda: not warm.is_alive(pid), timeout=30)


def test_a_queue_worker_leaves_when_nothing_waits_but_never_a_run_just_handed_to_it(tmp_path):
    worker = subprocess.Popen([sys.executable, "-m", "cnnviz", "worker", "--runs-dir", str(tmp_path), "--for-queue"])
    assert worker.wait(timeout=120) == 0, "an empty queue: it warms up, looks, and exits"
    assert not list((tmp_path / ".warm").glob(f"{worker.pid}.*"))
    markers = tmp_path / ".warm"
    (markers / f"{os.getpid()}.claimed").write_text("")  # someone claimed this worker a moment ago
    assert not warm_serving.leave(tmp_path), "the job file is on its way: wait for it"
    (markers / f"{os.getpid()}.idle").write_text("")
    assert warm_serving.leave(tmp_path) and (markers / f"{os.getpid()}.leaving").exists()
    for marker in markers.glob(f"{os.getpid()}.*"):
        marker.unlink()  # the run store deleted under a waiting worker: nobody can hand it a job
    assert warm_serving.leave(tmp_path), "a worker whose store is gone leaves instead of waiting forever"
