"""`grade new NAME`: a small working exercise to start from, graded right after it is written.

It writes `assignments/NAME/spec.toml`, the marked reference `solutions/NAME.py`, one correct and
one wrong example submission in `assignments/NAME/examples/`, then makes the stubs (`grade assign`)
and the build (`grade build`), so that `grade --assignment assignments/NAME solutions/NAME.py`
gives full marks at once. The author then edits the reference and the spec.
"""

from __future__ import annotations

from pathlib import Path

from grader.errors import UsageError

REFERENCE = '''\
# %% [markdown]
# # {name}
#
# An exercise to start from: replace these functions, their solution regions and the spec.
# 시작용 예제입니다: 함수와 정답 영역, spec을 바꾸어 쓰세요.
# %%
import numpy as np


def mean_square(x):
    """The mean of the squares of the numbers in x."""
    ### BEGIN SOLUTION
    return np.mean(np.square(x))
    ### END SOLUTION
    ### PROMPT return None  # TODO: the mean of the squares of x


def rms(x):
    """The root mean square of x: the square root of mean_square(x)."""
    ### BEGIN SOLUTION
    return np.sqrt(mean_square(x))
    ### END SOLUTION
    ### PROMPT return None  # TODO: the square root of mean_square(x)
'''

SPEC = '''\
# The exercise `{name}`: see docs/authoring.md for every key.

[assignment]
id = "{name}"
title.en = "{name}: mean square and root mean square"
title.ko = "{name}: 제곱 평균과 제곱 평균 제곱근"
reference = "../../solutions/{name}.py"
stub = "{name}.py"
seed = {seed}

[let]
n = {{ int = [1, 20] }}

[[parts]]
name = "mean_square"
title.en = "1. mean_square(x): the mean of the squares"
title.ko = "1. mean_square(x): 제곱의 평균"
hint.en = "the definition: (x₁² + … + xₙ²) / n"
hint.ko = "정의: (x₁² + … + xₙ²) / n"

  [[parts.checks]]
  id = "mean_square-cases"
  kind = "cases"
  points = 1
  title = "mean_square on small examples"
  cases = [{{ x = [1.0, 2.0, 3.0] }}, {{ x = [-2.0] }}, {{ x = [0.5, -0.5] }}]

  [[parts.checks]]
  id = "mean_square-drawn"
  kind = "against_reference"
  points = 2
  title = "mean_square on drawn arrays (Hypothesis, against the reference)"
  args.x = {{ array = ["n"], float = [-100, 100] }}

  [[parts.mistakes]]
  id = "sum_instead_of_mean"
  expr = "np.sum(np.square(x))"
  name.en = "the sum of the squares instead of their mean"
  name.ko = "제곱의 평균 대신 합을 계산함"

  [[parts.mistakes]]
  id = "no_square"
  expr = "np.mean(x)"
  name.en = "the numbers are averaged without squaring them"
  name.ko = "제곱하지 않고 평균함"

[[parts]]
name = "rms"
title.en = "2. rms(x): the root mean square, with mean_square"
title.ko = "2. rms(x): mean_square를 이용한 제곱 평균 제곱근"
hint.en = "rms(x) = √mean_square(x)"
hint.ko = "rms(x) = √mean_square(x)"

  [[parts.checks]]
  id = "rms-drawn"
  kind = "against_reference"
  points = 2
  title = "rms on drawn arrays (your mean_square is answered by the reference's)"
  uses = ["mean_square"]
  args.x = {{ array = ["n"], float = [-100, 100] }}

  [[parts.mistakes]]
  id = "no_root"
  expr = "mean_square(x)"
  name.en = "the square root is missing"
  name.ko = "제곱근이 빠짐"
'''

CORRECT = '''\
import math


def mean_square(x):
    total = 0.0
    for value in x:
        total += value * value
    return total / len(x)


def rms(x):
    return math.sqrt(mean_square(x))
'''

WRONG = '''\
import numpy as np


def mean_square(x):
    return np.sum(np.square(x))  # the sum, not the mean


def rms(x):
    return np.sqrt(mean_square(x))
'''


def scaffold(name: str, root: Path) -> list[Path]:
    """Write the exercise `name` under `root` (refusing to overwrite anything), then its stubs and build."""
    if not name.isidentifier():
        raise UsageError(f"'{name}' is not a valid exercise name: use letters, digits and _ (it names the stub)")
    exercise = root / "assignments" / name
    reference = root / "solutions" / f"{name}.py"
    for existing in (exercise, reference):
        if existing.exists():
            raise UsageError(f"{existing}: exists already; choose another name")
    seed = 20_000_000 + sum(ord(ch) * 31 ** i for i, ch in enumerate(name)) % 10_000_000
    files = {
        reference: REFERENCE.format(name=name),
        exercise / "spec.toml": SPEC.format(name=name, seed=seed),
        exercise / "examples" / "correct.py": CORRECT,
        exercise / "examples" / "wrong.py": WRONG,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    from grader.authoring.assign import assign
    from grader.authoring.build import build_exercise
    from grader.spec import load_spec

    written = list(files) + assign(reference, exercise, f"{name}.py")
    report = build_exercise(load_spec(exercise / "spec.toml"))
    return written + report.written
