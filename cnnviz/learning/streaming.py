"""What the worker tells the run store while `fit` runs: batch records, epoch records, saved models, Stop.

The Train page draws these files live; the CLI prints the same records as a progress line.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from cnnviz.runtime import runs
from cnnviz.runtime.json_files import append_jsonl
from cnnviz.runtime.records import BatchRecord, EpochRecord
from cnnviz.runtime.run_files import RunFiles

BATCH_WRITE_INTERVAL_SECONDS = 0.4  # below the 0.5 s the Train page promises between batch points


class ProgressLine:
    """The CLI's progress bar: epoch, batches, images/s and ETA on one line."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream

    def show(self, record: BatchRecord) -> None:
        """Redraw the line for a batch record."""
        done = record.batch / max(record.batches, 1)
        bar = "#" * int(20 * done) + "-" * (20 - int(20 * done))
        eta = time.strftime("%M:%S", time.gmtime(record.eta_seconds or 0))
        self.stream.write(
            f"\repoch {record.epoch}/{record.epochs} [{bar}] {record.batch}/{record.batches}"
            f" · {record.images_per_second:,.0f} images/s · ETA {eta}"
            f" · loss {shown(record.loss)} acc {shown(record.accuracy)}"
        )
        self.stream.flush()

    def end_epoch(self, record: EpochRecord) -> None:
        """Finish the epoch's line with its validation results."""
        self.stream.write(
            f"\n  epoch {record.epoch}: val_loss {shown(record.val_loss)}"
            f" val_accuracy {shown(record.val_accuracy)} ({record.seconds or 0:.1f} s)\n"
        )


def shown(value: float | None) -> str:
    """Return a metric with four decimals, or nan when it was not logged."""
    return f"{float('nan') if value is None else value:.4f}"


def make_streaming_callback(
    folder: Path, epochs: int, batch_size: int, steps: int, progress: ProgressLine | None, epoch_offset: int = 0
):
    """Return the Keras callback that streams metrics to the run store and honours Stop within one batch.

    Keras 3.15 converts every batch's logs to Python floats (a device sync on a GPU) before calling
    any on_*_batch_end, unless every callback is `async_safe`: then JAX and PyTorch make those calls
    on a thread pool and the training loop never waits (TensorFlow has no async dispatch: there bare
    Keras converts the logs every batch too). So this callback is async_safe: a lock guards its state,
    a late or out-of-order batch is not written, Stop is also checked at each batch's begin (always
    called in the loop itself), and the flags are set on `self._model`, because the `model` property
    syncs JAX's state into the variables, which from a pool thread races the next step's donation
    ("Array has been deleted" at the epoch-end save).
    """
    import shutil
    import threading

    import keras

    from cnnviz.learning import epoch_weights

    files = RunFiles(folder)

    class StreamingCallback(keras.callbacks.Callback):
        async_safe = True  # see the docstring: batch-end calls may run on a thread pool

        def on_train_begin(self, logs=None):
            self.stop_file = files.stop_request
            earlier = [record for record in runs.read_history(folder) if not record.partial]
            self.best = max((record.val_accuracy or 0 for record in earlier), default=0)
            self.lock = threading.Lock()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch_offset + epoch + 1  # 1-based, counting on across fine-tuning stages
            self.epoch_started = self.last_write = self.window_started = time.perf_counter()
            self.window_images, self.last_batch = 0, -1

        def check_stop(self, evaluating: bool = False) -> None:
            if self.stop_file.exists():  # a stat per batch: microseconds
                self._model.stop_training = True  # not self.model: see the docstring
                if evaluating:  # Stop during validation: end it now, not after the whole split
                    self._model.stop_evaluating = True

        def on_train_batch_begin(self, batch, logs=None):
            self.check_stop()

        def on_test_batch_begin(self, batch, logs=None):
            self.check_stop(evaluating=True)

        def on_train_batch_end(self, batch, logs=None):
            self.check_stop()
            with self.lock:
                self.stream_batch(batch, logs)

        def on_test_batch_end(self, batch, logs=None):
            self.check_stop(evaluating=True)

        def stream_batch(self, batch, logs) -> None:
            now = time.perf_counter()
            self.window_images += batch_size
            last = batch + 1 >= steps
            first = self.last_batch < 0  # an epoch's first batch: the curve shows at once that it moves
            recent = now - self.last_write < BATCH_WRITE_INTERVAL_SECONDS
            if batch <= self.last_batch or (recent and not (last or first)):
                return
            rate = self.window_images / max(now - self.window_started, 1e-9)
            remaining_batches = (steps - batch - 1) + steps * (epochs - self.epoch)
            record = BatchRecord.from_json(
                {
                    "time": time.time(),
                    "epoch": self.epoch,
                    "epochs": epochs,
                    "batch": batch + 1,
                    "batches": steps,
                    "images_per_second": rate,
                    "eta_seconds": remaining_batches * batch_size / rate,
                    **{key: float(value) for key, value in (logs or {}).items()},
                }
            )
            append_jsonl(files.batches, record.to_json())
            if progress:
                progress.show(record)
            self.last_write, self.window_started, self.window_images, self.last_batch = now, now, 0, batch

        def copy_as_best(self, saved: Path) -> None:
            # A file copy, not a second save: serialising the model again costs a GPU epoch ~5% on small sets.
            temporary = folder / ".best.partial.keras"
            shutil.copyfile(saved, temporary)
            os.replace(temporary, files.best_model)

        def on_epoch_end(self, epoch, logs=None):
            learning_rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            record = EpochRecord.from_json(
                {
                    "epoch": self.epoch,
                    "time": time.time(),
                    "seconds": time.perf_counter() - self.epoch_started,
                    "learning_rate": float(learning_rate),
                    **{key: float(value) for key, value in (logs or {}).items()},
                    # Stopped mid-epoch: Keras still validates and ends the epoch, but it is not a whole one.
                    "partial": bool(self.model.stop_training),
                }
            )
            # The model first, then the history line: a kill between the two loses only this epoch.
            save_model(self.model, files.model)
            if not record.partial:  # the time-lapse keeps complete epochs only
                epoch_weights.save_snapshot(self.model, folder, self.epoch)
            if not record.partial and (record.val_accuracy or 0) > self.best:
                self.best = record.val_accuracy
                self.copy_as_best(files.model)
            append_jsonl(files.history, record.to_json())
            if progress:
                progress.end_epoch(record)

    return StreamingCallback()


def save_model(model, path: Path) -> None:
    """Save a model atomically (a temp file, then os.replace), so a reader never sees half a file."""
    temporary = path.with_name(f".{path.stem}.partial.keras")
    model.save(temporary)
    os.replace(temporary, path)


def worker_callbacks(
    folder: Path, epochs: int, batch_size: int, steps: int, progress: ProgressLine | None = None, epoch_offset: int = 0
) -> list:
    """Return every callback the worker trains with: the run-store stream and TensorBoard."""
    streaming = make_streaming_callback(folder, epochs, batch_size, steps, progress, epoch_offset)
    return [streaming, *tensorboard_callbacks(folder)]


def tensorboard_callbacks(folder: Path) -> list:
    """Return Keras's TensorBoard callback where TensorFlow is there to write the logs."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return []
    return [keras.callbacks.TensorBoard(log_dir=str(RunFiles(folder).tensorboard), profile_batch=0)]
