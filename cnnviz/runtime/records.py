"""What a worker records as it trains: one EpochRecord per epoch (history.jsonl), BatchRecords for the live curve.

On disk each is one JSON object per line, Keras's log names as keys, so older run folders keep opening
and a metric Keras adds later is kept (in `extra`) rather than lost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


def split_known(cls: type, data: dict) -> tuple[dict, dict[str, float]]:
    """Return a JSON record's fields of `cls` and, apart, its other numbers (metrics cnnviz does not name)."""
    known = {item.name for item in fields(cls)} - {"extra"}
    chosen = {key: value for key, value in data.items() if key in known}
    extra = {
        key: float(value)
        for key, value in data.items()
        if key not in known and isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    return chosen, extra


def as_json(record: EpochRecord | BatchRecord) -> dict:
    """Return a record as the JSON object on disk: its fields (None left out) and its extra metrics."""
    data = {key: value for key, value in asdict(record).items() if key != "extra" and value is not None}
    return {**data, **record.extra}


@dataclass(frozen=True)
class EpochRecord:
    """One epoch as Keras logged it; a cut-short epoch (a Stop inside it) is `partial`."""

    epoch: int
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    seconds: float | None = None  # how long the epoch took, validation included
    time: float | None = None  # when it ended (Unix time)
    learning_rate: float | None = None
    partial: bool = False
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> EpochRecord:
        """Return the record stored as one line of history.jsonl."""
        chosen, extra = split_known(cls, data)
        chosen["epoch"] = int(chosen.get("epoch") or 0)
        chosen["partial"] = bool(chosen.get("partial", False))
        return cls(**chosen, extra=extra)

    def to_json(self) -> dict:
        """Return the record as one line of history.jsonl (partial only when it is)."""
        data = as_json(self)
        if not self.partial:
            data.pop("partial", None)
        return data

    def metric(self, name: str) -> float | None:
        """Return a metric by Keras's name ('val_loss'), None when this epoch did not log it."""
        return getattr(self, name) if name in METRICS else self.extra.get(name)


@dataclass(frozen=True)
class BatchRecord:
    """A point of the live curve: where the training is, how fast, and Keras's running means so far."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    images_per_second: float = 0.0
    eta_seconds: float = 0.0
    time: float | None = None
    loss: float | None = None
    accuracy: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> BatchRecord:
        """Return the record stored as one line of batches.jsonl."""
        chosen, extra = split_known(cls, data)
        for name in ("epoch", "epochs", "batch", "batches"):
            chosen[name] = int(chosen.get(name) or 0)
        return cls(**chosen, extra=extra)

    def to_json(self) -> dict:
        """Return the record as one line of batches.jsonl."""
        return as_json(self)

    @property
    def position(self) -> float:
        """Return where the batch falls in epochs (epoch 2, batch 5 of 10 is 1.5), the curve's x."""
        return self.epoch - 1 + self.batch / max(self.batches, 1)

    def metric(self, name: str) -> float | None:
        """Return a running mean by Keras's name, None when not logged."""
        return getattr(self, name) if name in ("loss", "accuracy") else self.extra.get(name)
