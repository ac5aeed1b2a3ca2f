"""Points for the server-side SVG charts (sparklines, trend lines) the templates draw."""

from __future__ import annotations

from collections.abc import Sequence


def polylines(
    values: Sequence[float | None], width: float, height: float, pad: float = 2.0, top: float = 100.0
) -> list[list[tuple[float, float]]]:
    """Runs of (x, y) points for `values` on a 0..top scale, broken where a value is missing
    (a week without reviews is a gap, not a zero)."""
    step = (width - 2 * pad) / max(1, len(values) - 1)
    lines: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                lines.append(current)
            current = []
            continue
        share = min(max(value, 0.0), top) / top
        current.append((round(pad + i * step, 1), round(pad + (1 - share) * (height - 2 * pad), 1)))
    if current:
        lines.append(current)
    return lines
