"""Tools for instructors: turn a marked reference solution into what students get."""
