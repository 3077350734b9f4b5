"""The golden files: what a class receives, per language, kept to compare against.

    python tests/golden/regenerate.py

grades a small class (fixture submissions) with `grade batch --lang en|ko` and one submission with the
Gradescope autograder, and writes, per language, one student's feedback file, the class summary page and
results.json under tests/golden/<lang>/. Run it when the wording changes on purpose and read the diff
(`git diff tests/golden`) before committing: that diff is exactly what students and teachers will see
change. The compared text holds no time, duration or machine path (normalised here).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: this repository's grader, whatever is installed
    sys.path.insert(0, str(ROOT))

GOLDEN = Path(__file__).resolve().parent
SPEC = ROOT / "assignments" / "linreg" / "spec.toml"
SUBMISSIONS = ROOT / "tests" / "fixtures" / "submissions"
CLASS = ("fail-Loss__sum_instead_of_mean.py", "fail-update__plus_instead_of_minus.py", "pass__for_loops.py",
         "broken__syntax_error.py", "fail-Loss__raises.py")
STUDENT = "fail-Loss__sum_instead_of_mean"  # whose feedback file and Gradescope results are kept
LANGUAGES = ("en", "ko")
FILES = ("feedback.md", "summary.html", "results.json")


def normalise(text: str, work: Path) -> str:
    """No machine path in the compared text."""
    return text.replace(str(work), "<work>").replace(str(ROOT), "<repo>")


def grade_class(work: Path, lang: str) -> Path:
    """`grade batch CLASS --lang LANG`; returns the output folder."""
    from grader.cli import main

    source = work / "class"
    if not source.exists():
        source.mkdir(parents=True)
        for name in CLASS:
            shutil.copy2(SUBMISSIONS / name, source / name)
    out = work / f"out-{lang}"
    code = main(["batch", str(source), "--out", str(out), "--assignment", str(SPEC), "--jobs", "2", "--lang", lang])
    if code != 0:
        raise RuntimeError(f"grade batch --lang {lang} exited {code}")
    return out


def gradescope_results(work: Path, lang: str) -> dict[str, object]:
    """What the Gradescope autograder writes for STUDENT, its execution time set to 0."""
    from grader.batch.gradescope import run_autograder

    root = work / f"autograder-{lang}"
    (root / "submission").mkdir(parents=True)
    shutil.copy2(SUBMISSIONS / f"{STUDENT}.py", root / "submission" / "linreg.py")
    run_autograder(root, assignment=SPEC, lang=lang)
    document: dict[str, object] = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    document["execution_time"] = 0
    return document


def produce(work: Path, lang: str) -> dict[str, str]:
    """The golden files' text for `lang`, made in `work`."""
    out = grade_class(work, lang)
    document = gradescope_results(work, lang)
    texts = {"feedback.md": (out / "feedback" / f"{STUDENT}.md").read_text(encoding="utf-8"),
             "summary.html": (out / "summary.html").read_text(encoding="utf-8"),
             "results.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n"}
    return {name: normalise(text, work) for name, text in texts.items()}


def expected(lang: str, name: str) -> str:
    return (GOLDEN / lang / name).read_text(encoding="utf-8")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="golden-") as folder:
        for lang in LANGUAGES:
            target = GOLDEN / lang
            target.mkdir(exist_ok=True)
            for name, text in produce(Path(folder), lang).items():
                (target / name).write_text(text, encoding="utf-8")
                print(f"wrote {(target / name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
