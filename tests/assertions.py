"""Assertions shared by the suites: what "one clear error line" means."""

from __future__ import annotations


def one_error_line(output: str, *words: str) -> str:
    """Check that ``output`` (a process's stderr, or CliRunner's output) is one clear error and return it.

    One clear error: no traceback, exactly one non-blank line, starting with ``Error: ``, naming every
    one of ``words``."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output, output
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: "), output
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
