"""requirements.txt, the lock, covers everything pyproject.toml names, at versions inside its ranges."""

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11's")

ROOT = Path(__file__).resolve().parents[1]
LOCK_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")


def normalise(name: str) -> str:
    """Return a project name as PEP 503 compares it: lowercase, each run of -, _ and . one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(lock: Path) -> tuple[dict[str, str], list[str]]:
    """Return the lock's pins by normalised name, and its lines that are not a plain name==version."""
    pins: dict[str, str] = {}
    odd: list[str] = []
    for line in lock.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = LOCK_LINE.match(line)
        if match is None:
            odd.append(line)
        else:
            pins[normalise(match["name"])] = match["version"]
    return pins, odd


def declared_requirements(pyproject: Path) -> list[tuple[str, Requirement]]:
    """Return (where, requirement) for the project's dependencies and every extra's that apply here."""
    project = tomllib.loads(pyproject.read_text())["project"]
    groups = {"": project.get("dependencies", []), **project.get("optional-dependencies", {})}
    declared = []
    for extra, texts in groups.items():
        for text in texts:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                declared.append((f"extra {extra!r}" if extra else "dependencies", requirement))
    return declared


def lock_problems(pyproject: Path, lock: Path) -> list[str]:
    """Return what is wrong with the lock against pyproject: each missing or out-of-range dependency."""
    project_name = normalise(tomllib.loads(pyproject.read_text())["project"]["name"])
    pins, odd = read_lock(lock)
    problems = [f"{lock.name} line is not name==version: {line}" for line in odd]
    if project_name in pins:
        problems.append(f"{lock.name} pins {project_name} itself (setup-venv installs it from the checkout)")
    for where, requirement in declared_requirements(pyproject):
        name = normalise(requirement.name)
        if name not in pins:
            problems.append(f"{lock.name} lacks {requirement.name} ({where}: {requirement})")
            continue
        try:
            version = Version(pins[name])
        except InvalidVersion:
            problems.append(f"{lock.name} pins {requirement.name} to an invalid version {pins[name]!r}")
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{lock.name} pins {requirement.name}=={version}, outside {requirement} ({where})")
    return problems


def test_the_lock_has_every_dependency_pyproject_names_within_its_range():
    problems = lock_problems(ROOT / "pyproject.toml", ROOT / "requirements.txt")
    assert not problems, "run bash scripts/lock-requirements after the suite passes:\n" + "\n".join(problems)


def test_a_dependency_the_lock_lacks_or_a_range_it_misses_is_named(tmp_path):
    text = (ROOT / "pyproject.toml").read_text()
    broken = text.replace("dependencies = [\n", 'dependencies = [\n    "no-such-package>=1",\n', 1)
    broken = broken.replace("jax = [", 'jax = ["Another_Missing.Package", ', 1)
    broken = broken.replace('"streamlit>=', '"streamlit>=999,!=', 1)
    assert broken.count("no-such-package") == 1 and "Another_Missing" in broken and "streamlit>=999" in broken
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(broken)
    lock = tmp_path / "requirements.txt"
    lock.write_text((ROOT / "requirements.txt").read_text() + "cnnviz==0.2.0\n-e .\n")

    problems = "\n".join(lock_problems(pyproject, lock))

    assert "lacks no-such-package (dependencies: no-such-package>=1)" in problems
    assert "lacks Another_Missing.Package (extra 'jax'" in problems
    assert re.search(r"pins streamlit==\S+, outside streamlit!=1.56,>=999 \(dependencies\)", problems)
    assert "pins cnnviz itself" in problems
    assert "not name==version: -e ." in problems
    assert len(problems.splitlines()) == 5, problems


def test_names_compare_as_pep_503_says():
    assert normalise("Typing_Extensions") == normalise("typing-extensions") == "typing-extensions"
    assert normalise("zope.interface") == normalise("Zope__Interface") == "zope-interface"
    assert normalise("a-_.b") == "a-b"
