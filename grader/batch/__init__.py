"""Grading a whole class: finding who submitted what, and collecting one result row per student."""
