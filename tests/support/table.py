"""Reading ``collect --format table`` back as a person does: its blocks joined into one row per project."""

from __future__ import annotations

import re


def read_table(text: str) -> dict[str, dict[str, str]]:
    """Each row's cells by header, keyed by the first cell (the project's name, or "total").

    A block is a header, a rule of dashes under each column, rows, a rule and the total row; the dashes
    give each column's extent, so cells with spaces in them ("1,500.00 EUR") are read whole.
    """
    rows: dict[str, dict[str, str]] = {}
    for block in text.split("\n\n"):
        block_lines = block.splitlines()
        if len(block_lines) < 3 or not set(block_lines[1]) <= {"-", " "}:
            continue  # a failure's reasons, after the table
        spans = [m.span() for m in re.finditer(r"-+", block_lines[1])]
        headers = [block_lines[0][a:b].strip() for a, b in spans]
        for line in block_lines[2:]:
            if set(line) <= {"-", " "}:
                continue
            cells = [line[a:b].strip() for a, b in spans]
            rows.setdefault(cells[0], {}).update(zip(headers, cells, strict=True))
    return rows
