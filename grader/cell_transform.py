"""IPython's cell transformer, run in a short-lived child process with a time and memory limit.

`python -I cell_transform.py SECONDS MEMORY_MB` reads a JSON list of cell sources on stdin and
writes one JSON line per cell as soon as it is transformed: the Python source, or null when
IPython could not transform it. The transformer is quadratic on some inputs (thousands of
`a = !cmd` lines): the grader kills this process when its time is up and keeps the cells
already done, so that no notebook costs the grader more than that time.

Only the standard library is imported here (and IPython's own transformer file), so that the
process starts in a few tens of milliseconds.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any


def _limit(seconds: float, memory_mb: int) -> None:
    """The child bounds itself before it reads a byte of student text: CPU (the grader's timeout
    is the first bound, this one outlives a stopped grader) and address space. Where there is no
    resource module (Windows), the grader's timeout is the bound."""
    try:
        import resource
    except ImportError:
        return
    cpu = max(1, int(seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _transformer() -> Any:
    """IPython's TransformerManager without the whole of IPython: inputtransformer2 needs only
    the standard library, so its file is loaded on its own when the layout allows it."""
    package = importlib.util.find_spec("IPython")
    locations = list(package.submodule_search_locations or []) if package else []
    path = Path(locations[0]) / "core" / "inputtransformer2.py" if locations else None
    if path is not None and path.is_file():
        spec = importlib.util.spec_from_file_location("_grader_inputtransformer2", path)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
                return module.TransformerManager()
            except ImportError:
                pass
    from IPython.core import inputtransformer2

    return inputtransformer2.TransformerManager()


def main() -> None:
    _limit(float(sys.argv[1]), int(sys.argv[2]))
    sources = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    manager = _transformer()
    for source in sources:
        try:
            transformed: str | None = manager.transform_cell(str(source))
        except Exception:  # an unfinished cell: the grader reports its SyntaxError
            transformed = None
        sys.stdout.write(json.dumps(transformed) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
