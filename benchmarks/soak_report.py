"""The classroom soak's figures: what one lesson measured, printed for a person and written for a test."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness.processes import ProcessSample
from benchmarks.harness.timing import describe_spread, percentile
from benchmarks.soak_lesson import Lesson


@dataclass
class SoakFigures:
    """What one lesson measured: problems, interactions, the server's memory, what was left behind."""

    lesson: Lesson
    samples: list[ProcessSample]  # every 30 s of the lesson, then its end
    after: ProcessSample  # 60 s after the last student left
    start_files: str  # what the server's descriptors pointed to at the start and after
    after_files: str
    trainings: str
    training_failures: list[str]
    own_trainings: dict[str, int]  # the students' own-photo runs by final state
    own_files: int  # photo files under the own-photos folder
    own_bytes: int
    leftovers: dict[int, str]
    log_problems: list[str]
    growth_from: float

    @property
    def errors(self) -> int:
        """Return every problem a student saw."""
        return sum(self.lesson.problems.values())

    def counted_interactions(self) -> list[tuple[str, float]]:
        """Return (what, seconds) of every interaction after everyone arrived."""
        everyone_in = max(self.lesson.arrivals, default=float("inf"))
        return [(what, seconds) for started, what, seconds in self.lesson.interactions if started >= everyone_in]

    @property
    def p95(self) -> float:
        """Return the 95th percentile of every interaction after everyone arrived."""
        every = [seconds for _, seconds in self.counted_interactions()]
        return percentile(every, 0.95) if every else float("nan")

    def growth(self) -> tuple[ProcessSample, ProcessSample, float]:
        """Return the baseline sample, the end sample and the growth between them in percent."""
        lesson = self.samples[:-1] or self.samples
        baseline = min(lesson, key=lambda sample: abs(sample.seconds - self.growth_from))
        end = self.samples[-1]
        return baseline, end, 100 * (end.rss_kib / baseline.rss_kib - 1)

    def trend(self, window_minutes: float = 5.0) -> tuple[float, float]:
        """Return the growth in percent from the baseline to the end by two measures a single sample cannot tip:
        the mean of the last `window_minutes` against the first's, and a least-squares line through every sample."""
        return describe_trend([(s.seconds, s.rss_kib) for s in self.samples], self.growth_from, window_minutes)


def describe_trend(samples: list[tuple[float, float]], since: float, window_minutes: float) -> tuple[float, float]:
    """Return (window means, fitted line) growth in percent of (seconds, value) samples from `since` to the last."""
    kept = [(seconds, value) for seconds, value in samples if seconds >= since]
    if len(kept) < 2:  # a lesson too short to have a trend
        return float("nan"), float("nan")
    end, window = kept[-1][0], 60 * window_minutes
    first = statistics.fmean(value for seconds, value in kept if seconds < since + window)
    last = statistics.fmean(value for seconds, value in kept if seconds > end - window)
    slope, intercept = statistics.linear_regression([seconds for seconds, _ in kept], [value for _, value in kept])
    fitted_start, fitted_end = intercept + slope * kept[0][0], intercept + slope * end
    return 100 * (last / first - 1), 100 * (fitted_end / fitted_start - 1)


def describe_held(figures: SoakFigures) -> str:
    """Return what Streamlit's caches held at the growth baseline and at the end, the biggest changes first."""
    held = figures.lesson.cache_bytes
    baseline, end, _ = figures.growth()
    first, last = held[figures.samples.index(baseline)], held[-1]
    change = {name: last.get(name, 0) - first.get(name, 0) for name in {*first, *last}}
    biggest = sorted(change, key=lambda name: -abs(change[name]))[:6]
    listed = ", ".join(f"{name} {first.get(name, 0) / 2**20:.1f} → {last.get(name, 0) / 2**20:.1f}" for name in biggest)
    return (
        f"caches held {sum(first.values()) / 2**20:.0f} MiB at {baseline.seconds / 60:.1f} min and "
        f"{sum(last.values()) / 2**20:.0f} MiB at the end (VmRSS {(end.rss_kib - baseline.rss_kib) / 1024:+.0f} MiB); "
        f"biggest changes, MiB: {listed}"
    )


def describe_interactions(figures: SoakFigures) -> list[str]:
    """Return one table row per kind of interaction after everyone arrived."""
    counted = figures.counted_interactions()
    rows = ["| interaction | count | p50 s | p95 s | max s |", "|---|---|---|---|---|"]
    for what in dict.fromkeys(what for what, _ in counted):
        values = [seconds for kind, seconds in counted if kind == what]
        rows.append(f"| {what} | {len(values)} | {describe_spread(values)} |")
    return rows


def report(figures: SoakFigures) -> None:
    """Print the soak's figures."""
    lesson = figures.lesson
    print("\n".join(describe_interactions(figures)))
    baseline, end, growth = figures.growth()
    series = ", ".join(f"{s.seconds / 60:.1f} {s.rss_kib / 1024:.0f}" for s in figures.samples)
    print(f"server memory (VmRSS), minute MiB: {series}")
    print(describe_held(figures))
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(lesson.problems.items())) or "none"
    print(f"errors = {figures.errors} ({kinds})")
    for kind, example in lesson.problem_examples.items():
        print(f"  first {kind}: {example}")
    arrived = max(lesson.arrivals, default=lesson.began) - lesson.began
    print(
        f"p95 step = {figures.p95:.2f} s ({len(lesson.interactions)} interactions, {lesson.uploads} uploads, "
        f"{lesson.tabs_opened} tabs opened; everyone had arrived {arrived:.0f} s in)"
    )
    print(
        f"rss growth = {growth:.1f} % ({baseline.rss_kib / 1024:.0f} MiB at {baseline.seconds / 60:.1f} min, "
        f"{end.rss_kib / 1024:.0f} MiB at the end; {figures.after.rss_kib / 1024:.0f} MiB 60 s after the students left)"
    )
    windows, line = figures.trend()
    print(
        f"rss trend from {baseline.seconds / 60:.1f} min = {windows:+.1f} % (the last 5 minutes' mean against the "
        f"first 5's), {line:+.1f} % (a straight line through the samples)"
    )
    start = figures.samples[0]
    print(
        f"open files = {start.open_files} at start, {end.open_files} at the end, {figures.after.open_files} 60 s "
        f"after the students left; threads = {start.threads}, {end.threads}, {figures.after.threads}"
    )
    print(f"  at the start: {figures.start_files}\n  after: {figures.after_files}")
    nudged = lesson.after_next_tabs
    if nudged is not None:
        print(
            f"  once two more tabs opened and closed: open files {nudged.open_files}, threads {nudged.threads}, "
            f"{nudged.rss_kib / 1024:.0f} MiB"
        )
    print(
        f"own photos: {figures.own_files} files ({figures.own_bytes / 1e6:.1f} MB) for the "
        f"{lesson.own_photos_saved} the students saved; trainings on them: "
        f"{lesson.own_trainings} started ({figures.own_trainings or 'none'})"
    )
    cores = ", ".join(f"{who} {value:.2f}" for who, value in lesson.cores_used.items())
    print(f"cores used over the lesson (of {os.cpu_count()}): {cores}")
    print(f"trainings back to back: {figures.trainings}")
    for failure in figures.training_failures:
        print(f"  failed: {failure}")
    print(f"leftover cnnviz processes = {len(figures.leftovers)}")
    for pid, command in figures.leftovers.items():
        print(f"  {pid}: {command}")
    print(f"server log: {len(figures.log_problems)} lines naming an error")
    for line in figures.log_problems[:10]:
        print(f"  {line.rstrip()[:200]}")


def write_figures(figures: SoakFigures, path: Path) -> None:
    """Write what tests/test_classroom_soak.py checks: problems, what was done, what was left behind."""
    lesson = figures.lesson
    summary = {
        "errors": figures.errors,
        "problems": dict(lesson.problem_examples),
        "interactions": {what: [kind for _, kind, _ in lesson.interactions].count(what) for what in
                         dict.fromkeys(kind for _, kind, _ in lesson.interactions)},
        "p95_seconds": figures.p95,
        "own_files": figures.own_files,
        "own_photos_saved": lesson.own_photos_saved,
        "own_trainings_started": lesson.own_trainings,
        "own_trainings": figures.own_trainings,
        "training_failures": figures.training_failures,
        "leftovers": [f"{pid}: {command}" for pid, command in figures.leftovers.items()],
        "log_problems": figures.log_problems,
        "cores_used": lesson.cores_used,
    }  # fmt: skip
    path.write_text(json.dumps(summary, indent=1))
