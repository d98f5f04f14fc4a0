"""Reading lesson notebooks in tests: their prose and the text their cells saved."""

from __future__ import annotations

import nbformat


def markdown(nb: nbformat.NotebookNode) -> str:
    """Every markdown cell of ``nb``, joined: the lesson's prose."""
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def saved_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell printed or showed as text, as saved (streams and ``text/plain``)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "text/plain" in out.get("data", {}):
            parts.append(out.data["text/plain"])
    return "".join(parts)
