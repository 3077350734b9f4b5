"""Self-check many files with one runner (the one $GRADER_ISOLATION picks), a JSON line each.

    python tests/portable/selfcheck_many.py EXERCISE_FOLDER FILE...

Run under without_posix.py, it is the portable runner with the facilities Windows lacks made
unavailable; tests/test_portable.py compares its lines with the sandbox's results.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.sandbox.client import start_runner
from grader.selfcheck import grade_selfcheck, load_selfcheck_assignment
from grader.spec import load_spec


def main(argv: list[str]) -> None:
    assignment = load_selfcheck_assignment(load_spec(Path(argv[0]) / "spec.toml"))
    with start_runner("self-check") as runner:
        for name in argv[1:]:
            result = grade_selfcheck(Path(name), assignment, runner)
            print(json.dumps({"file": name, "result": result.to_json(), "mode": runner.isolation.mode}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
