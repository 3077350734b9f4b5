"""An auto-grader for programming exercises: load -> run in isolation -> check -> score -> report."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`from grader import check` in a notebook, without importing the notebook helper eagerly."""
    if name == "check":
        from grader.notebook import check

        return check
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
