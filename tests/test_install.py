"""The grader as its users install it, in fresh virtual environments:

- a wheel built from a clean copy of the project grades from an unrelated folder, and holds no
  exercise and no reference;
- the student's folder from `grade bundle` installs with its own requirements.txt, self-checks
  from inside it, and a notebook executed in a real Jupyter kernel gets its report from check();
- the Gradescope zip installs with its own setup.sh and grades with its own run_autograder.

Each environment is installed once per module (pip takes about 20 s for one).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISE = ROOT / "assignments" / "linreg"


def _run(command: list[str | Path], cwd: Path, env_extra: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """A command as a user runs it: none of the test run's own Python settings leak into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_SPEC", "VIRTUAL_ENV")}
    env.update(env_extra or {})
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


def _fresh_venv(folder: Path) -> Path:
    """A new virtual environment from the interpreter's own base Python: nothing of the project in it."""
    done = _run([sys.executable, "-m", "venv", folder], cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    return folder / "bin"


def _clean_copy(target: Path) -> Path:
    """The project's files as a clone would have them: tracked and new files, nothing git ignores."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the project's git checkout")
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    assert listed.returncode == 0, listed.stderr
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    clean = _clean_copy(work / "clean")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", clean], cwd=work)
    assert built.returncode == 0, built.stderr
    (found,) = (work / "dist").glob("*.whl")
    return found


@pytest.fixture(scope="module")
def engine(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` folder of a fresh venv where the wheel (and what it depends on) was installed."""
    bin_dir = _fresh_venv(tmp_path_factory.mktemp("engine") / "venv")
    done = _run([bin_dir / "pip", "install", "-q", wheel], cwd=wheel.parent)
    assert done.returncode == 0, done.stderr
    return bin_dir


def test_the_wheel_is_the_engine_without_any_exercise(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "grader/cli.py" in names and "grader/sandbox/inside/harness.py" in names
    assert not [n for n in names if n.startswith(("solutions/", "assignments/", "tests/"))], names
    assert not [n for n in names if n.endswith("spec.toml")]


def test_the_installed_wheel_grades_from_an_unrelated_folder(engine: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    correct = _run([engine / "grade", ROOT / "solutions" / "linreg.py", "--assignment", EXERCISE], cwd=elsewhere)
    assert correct.returncode == 0, correct.stdout + correct.stderr
    stub = _run([engine / "grade", EXERCISE / "linreg.py", "--assignment", EXERCISE / "spec.toml"], cwd=elsewhere)
    assert stub.returncode == 1, stub.stdout + stub.stderr
    # found without --assignment: the submission lies under the project, whose assignments/ has its stub's name
    found = _run([engine / "grade", ROOT / "solutions" / "linreg.py", "--json"], cwd=elsewhere)
    assert json.loads(found.stdout)["score"] == 10, found.stdout
    # a submission with no exercise anywhere above it or the current folder: one line naming what to do
    lone = elsewhere / "linreg.py"
    shutil.copy(EXERCISE / "linreg.py", lone)
    none = _run([engine / "grade", lone], cwd=elsewhere)
    assert none.returncode == 2 and none.stdout == ""
    assert none.stderr.count("\n") == 1 and "--assignment" in none.stderr and "no exercise" in none.stderr


@pytest.fixture(scope="module")
def handout(engine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student folder, written by the installed wheel (which copies itself into it)."""
    folder = tmp_path_factory.mktemp("handout") / "linreg-handout"
    done = _run([engine / "grade", "bundle", EXERCISE, "--out", folder], cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def student(handout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student's fresh venv: the handout's requirements.txt, and ipykernel for Jupyter."""
    bin_dir = _fresh_venv(tmp_path_factory.mktemp("student") / "venv")
    done = _run([bin_dir / "pip", "install", "-q", "-r", "requirements.txt", "ipykernel"], cwd=handout)
    assert done.returncode == 0, done.stderr
    return bin_dir


def test_the_handout_holds_what_the_self_check_needs_and_no_reference(handout: Path) -> None:
    files = sorted(p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file())
    assert files == ["README.txt", "build/selfcheck.json", "linreg.ipynb", "linreg.py", "requirements.txt",
                     "spec.toml", f"wheels/{next((handout / 'wheels').iterdir()).name}"]
    reference = (ROOT / "solutions" / "linreg.py").read_text(encoding="utf-8")
    solution_line = "ls = np.mean(np.square(y - f_x))"
    assert solution_line in reference
    for path in handout.rglob("*"):
        if path.is_file() and path.suffix != ".whl":
            assert solution_line not in path.read_text(encoding="utf-8"), path
    readme = (handout / "README.txt").read_text(encoding="utf-8")
    assert "pip install -r requirements.txt" in readme and "grade --self-check linreg.ipynb" in readme


def test_a_student_installs_the_handout_and_self_checks_from_its_folder(student: Path, handout: Path,
                                                                        tmp_path: Path) -> None:
    stub = _run([student / "grade", "--self-check", "linreg.ipynb"], cwd=handout)
    assert stub.returncode == 1, stub.stdout + stub.stderr
    assert "self-check" in stub.stdout.lower()
    correct = _run([student / "grade", "--self-check", FIXTURES / "pass__notebook.ipynb", "--assignment", handout],
                   cwd=tmp_path)
    assert correct.returncode == 0, correct.stdout + correct.stderr
    official = _run([student / "grade", "linreg.py"], cwd=handout)
    assert official.returncode == 2 and "--self-check" in official.stderr
    portable = _run([student / "grade", "--self-check", FIXTURES / "pass__notebook.ipynb", "--assignment", handout,
                     "--json"], cwd=tmp_path, env_extra={"GRADER_ISOLATION": "portable"})
    assert portable.returncode == 0, portable.stdout + portable.stderr
    assert json.loads(portable.stdout)["provenance"]["isolation"] == "portable"


@pytest.mark.parametrize("isolation", ["bubblewrap", "portable"])
def test_check_in_a_real_jupyter_kernel_reports(student: Path, handout: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, isolation: str) -> None:
    """check() twice in one kernel (the second with the runner kept warm), in each isolation mode."""
    if isolation == "bubblewrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed here")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    kernels = tmp_path / "jupyter" / "kernels" / "student"
    kernels.mkdir(parents=True)
    spec = {"argv": [str(student / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "student", "language": "python"}
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("GRADER_ISOLATION", isolation)
    solution = (FIXTURES / "pass__reference.py").read_text(encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%pip install -q -r requirements.txt"),
        nbformat.v4.new_code_cell(solution),
        nbformat.v4.new_code_cell("from grader import check\nreport = check()\nprint(report.score, report.max_score)\n"
                                  "report"),
        nbformat.v4.new_code_cell("again = check()\nprint(again.score, again.result.provenance.isolation)"),
    ])
    client = nbclient.NotebookClient(notebook, kernel_name="student", timeout=300,
                                     resources={"metadata": {"path": str(handout)}})
    client.execute()
    outputs = notebook.cells[-2].outputs
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert printed.split() == ["10.0", "10.0"], outputs
    shown = [o for o in outputs if o.get("output_type") == "execute_result"]
    assert shown and "grader-report" in shown[0]["data"]["text/html"]
    again = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    assert again.split() == ["10.0", isolation], notebook.cells[-1].outputs


def test_the_gradescope_zip_installs_with_its_setup_and_grades(tmp_path: Path) -> None:
    zip_path = tmp_path / "autograder.zip"
    built = _run([sys.executable, "-m", "grader.cli", "gradescope", "build", "--out", zip_path,
                  "--assignment", EXERCISE], cwd=ROOT)
    assert built.returncode == 0, built.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert "setup.sh" in names and "run_autograder" in names and not any(n.startswith("grader/") for n in names)
        archive.extractall(root / "source")
    # setup.sh as Gradescope runs it (as root), with apt-get standing in: the packages it asks for are logged
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "apt-get").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'apt.log'}\n")
    (fake / "apt-get").chmod(0o755)
    env_path = f"{fake}{os.pathsep}{os.environ['PATH']}"
    setup = _run(["bash", root / "source" / "setup.sh"], cwd=root / "source",
                 env_extra={"AUTOGRADER_ROOT": str(root), "PATH": env_path})
    assert setup.returncode == 0, setup.stderr
    assert "bubblewrap" in (tmp_path / "apt.log").read_text()
    (root / "submission").mkdir()
    (root / "results").mkdir()
    expectations = {"pass__notebook.ipynb": 10.0, "fail-Loss__half_mse.py": 7.0, "broken__syntax_error.py": 0.0}
    for fixture, expected in expectations.items():
        for old in (root / "submission").iterdir():
            old.unlink()
        shutil.copy(FIXTURES / fixture, root / "submission" / ("linreg" + Path(fixture).suffix))
        ran = _run(["bash", root / "source" / "run_autograder"], cwd=tmp_path, env_extra={"AUTOGRADER_ROOT": str(root)})
        assert ran.returncode == 0, ran.stderr
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == expected, (fixture, results)


def test_setup_sh_installs_python_3_11_where_the_image_has_an_older_one(tmp_path: Path) -> None:
    """Ubuntu 22.04's python3 is 3.10: setup.sh asks apt for python3.11 and python3.11-venv and
    builds the venv with it. Here python3 says it is too old, and apt-get, standing in, makes
    the requested python3.11 appear (as the machine's own 3.11)."""
    real = shutil.which("python3.11") or (sys.executable if sys.version_info[:2] == (3, 11) else None)
    if real is None:
        pytest.skip("needs a Python 3.11 to stand for the one apt would install")
    zip_path = tmp_path / "autograder.zip"
    built = _run([sys.executable, "-m", "grader.cli", "gradescope", "build", "--out", zip_path,
                  "--assignment", EXERCISE], cwd=ROOT)
    assert built.returncode == 0, built.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    fake = tmp_path / "image-bin"  # the whole PATH: no Python 3.11+ on it until apt-get installs one
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexit 1\n")  # a Python older than 3.11 fails the version test
    (fake / "apt-get").write_text(
        f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'apt.log'}\n"
        f"case \"$*\" in *python3.11*) {shutil.which('ln') or '/bin/ln'} -sf {real} {fake / 'python3.11'} ;; esac\n")
    for tool in ("python3", "apt-get"):
        (fake / tool).chmod(0o755)
    (fake / "basename").symlink_to(shutil.which("basename") or "/usr/bin/basename")
    setup = _run([shutil.which("bash") or "/bin/bash", root / "source" / "setup.sh"], cwd=root / "source",
                 env_extra={"AUTOGRADER_ROOT": str(root), "PATH": str(fake)})
    assert setup.returncode == 0, setup.stderr
    assert "install -y -qq python3.11 python3.11-venv" in (tmp_path / "apt.log").read_text()
    version = _run([root / "venv" / "bin" / "python", "-c", "import sys, grader; print(sys.version_info[:2])"],
                   cwd=tmp_path)
    assert version.stdout.strip() == "(3, 11)", version.stderr


# What each platform's environment markers see (PEP 508), for the platforms students have.
PLATFORMS = {
    "win_amd64": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
    "macosx_14_0_arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                          "platform_machine": "arm64"},
    "macosx_13_0_x86_64": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                           "platform_machine": "x86_64"},
}


@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_the_dependencies_install_on_windows_and_macos(platform: str, python: str, tmp_path: Path) -> None:
    """pip resolves the engine's dependencies for that platform from wheels alone (no compiler on a
    student's laptop), the ones only that platform needs included (pip evaluates markers for the
    machine it runs on: those are resolved in a second round, as the platform would see them)."""
    import tomllib

    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"])
    environment = {**default_environment(), **PLATFORMS[platform], "python_version": python,
                   "python_full_version": f"{python}.0", "implementation_name": "cpython",
                   "platform_python_implementation": "CPython"}
    for _ in range(4):
        report = tmp_path / "report.json"
        resolved = _run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                         "--only-binary=:all:", "--platform", platform, "--python-version", python,
                         "--implementation", "cp", "--target", tmp_path / "target", "--report", report,
                         *sorted(wanted)], cwd=tmp_path)
        assert resolved.returncode == 0, resolved.stderr[-3000:]
        installed = json.loads(report.read_text(encoding="utf-8"))["install"]
        names = {canonicalize_name(item["metadata"]["name"]) for item in installed}
        missing = set()
        for item in installed:
            for line in item["metadata"].get("requires_dist", []):
                requirement = Requirement(line)
                if requirement.marker is not None and requirement.marker.evaluate({**environment, "extra": ""}) \
                        and canonicalize_name(requirement.name) not in names:
                    requirement.marker = None
                    missing.add(str(requirement))
        if not missing:
            break
        wanted |= missing
    assert not missing, f"still unresolved for {platform}: {sorted(missing)}"
    assert {"numpy", "psutil"} <= names
