"""An auto-grader for programming exercises: load -> run in isolation -> check -> score -> report."""

__version__ = "0.1.0"
