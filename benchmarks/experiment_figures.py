"""Run the overfitting experiment with the README's defaults and write its figures into README.md.

The README's sentence about the experiment (time, gap, validation-loss growth, dropout against the
baseline) is generated here from one run, between the markers `<!-- experiment figures -->` and
`<!-- /experiment figures -->`, so it cannot drift from what the code does. It also prints the table.

    python -m benchmarks.experiment_figures            # about 3.5 minutes on 2 cores
    python -m benchmarks.experiment_figures --dry-run  # print the sentence, leave README.md alone
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from cnnviz.learning import experiment
from cnnviz.learning.experiment import VariantResult

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- experiment figures -->", "<!-- /experiment figures -->"


def run_experiment() -> tuple[dict[str, VariantResult], float]:
    """Run the four variants with the measured plan and seed 0 in a fresh store; return their results and seconds."""
    with tempfile.TemporaryDirectory() as root:
        started = time.monotonic()
        experiment_id, _ = experiment.start(experiment.plan_for("fashion_mnist"), Path(root), seed=0)
        finished = experiment.wait(experiment_id, Path(root))
        seconds = time.monotonic() - started
        return {result.variant: result for result in map(experiment.summarize, finished)}, seconds


def describe(results: dict[str, VariantResult], seconds: float) -> str:
    """Return the README's sentence with this run's figures."""
    baseline, dropout = results["baseline"], results["dropout"]
    minutes, rest = divmod(int(round(seconds)), 60)
    return (
        f"{minutes} min {rest:02d} s for the four runs here (each waiting run starts in a worker that imported "
        f"Keras and traced its network while the run before trained). The baseline overfits (final "
        f"train−validation gap {baseline.final_gap * 100:.1f} points, validation loss "
        f"{baseline.val_loss_growth:.2f}× its minimum) and dropout closes the gap "
        f"({dropout.final_gap * 100:.1f} points) while reaching the baseline's best validation accuracy "
        f"({dropout.best_val_accuracy:.1%} against {baseline.best_val_accuracy:.1%})."
    )


def write_into_readme(sentence: str) -> None:
    """Replace the text between the markers in README.md."""
    text = README.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {START} … {END} block to fill.")
    README.write_text(pattern.sub(lambda _: f"{START}{sentence}{END}", text))


def main() -> None:
    """Run, print the table and the sentence, and write the sentence into the README unless --dry-run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true")
    arguments = parser.parse_args()
    results, seconds = run_experiment()
    for result in results.values():
        print(result.as_row())
    sentence = describe(results, seconds)
    print(sentence)
    if not arguments.dry_run:
        write_into_readme(sentence)
        print(f"written into {README}")


if __name__ == "__main__":
    main()
