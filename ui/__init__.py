"""The web UI: a Gradio chat over the indexed articles that shows the passages each answer cites.

`render_sources` is pure and imports no gradio; `build_app` and `launch` load gradio on first use. `build_app` is
the chat builder `rag serve` mounts at / (the `chat` setting); `launch` serves it through `rag.serve.serve`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ui.render import render_sources

if TYPE_CHECKING:
    from ui.app import build_app, launch

__all__ = ["build_app", "launch", "render_sources"]


def __getattr__(name: str) -> Any:
    if name in ("build_app", "launch"):
        from ui import app

        return getattr(app, name)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
