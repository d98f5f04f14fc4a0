"""What a widget shows where widgets cannot run: a picture and one line of text.

JupyterLab and Voilà show the widget itself. A notebook saved without widget state, opened by
nbconvert, GitHub or any other static viewer, shows the ``image/png`` instead, so a lesson's
static page still has its picture; nbval compares only the ``text/plain`` line, which is stable.
"""

from __future__ import annotations

import base64
from typing import Any


class ShowsAPicture:
    """Mixin for a widget: ``_static_png()`` returns the PNG bytes to show where the widget
    cannot run; ``repr(widget)`` is the text line."""

    def _static_png(self) -> bytes:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}  # type: ignore[misc]
        bundle["text/plain"] = repr(self)
        png = self._static_png()
        if png:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle
