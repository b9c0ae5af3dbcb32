"""Chart geometry for server-side SVG: pure functions from numbers to rectangles, points and labels.

Templates draw the shapes; nothing here knows about HTML. Every chart has a fixed viewBox
and scales to its container, so it needs no script and no external library.
"""

from decimal import Decimal

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 10, 12, 34


def short_amount(value: Decimal | float | int) -> str:
    """'1.2M', '35k', '950': axis labels that fit."""
    v = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            text = f"{v / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{v:.0f}"


def _nice_top(value: float) -> float:
    """The smallest 1/2/5 × 10^n at or above value (at least 1)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _grid(top: float, fmt=short_amount) -> list[dict]:
    inner = HEIGHT - TOP - BOTTOM
    return [{"y": round(TOP + inner - inner * k / 4, 1), "label": fmt(top * k / 4)} for k in range(5)]


def columns(points: list[tuple[str, Decimal | float]], fmt=short_amount) -> dict:
    """A column per point (label, value)."""
    top = _nice_top(max((float(v) for _, v in points), default=0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        h = inner_h * float(value) / top
        bars.append({"x": round(LEFT + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(TOP + inner_h - h, 1), "h": round(h, 1), "label": label, "value": fmt(value),
                     "cx": round(LEFT + i * slot + slot / 2, 1)})  # fmt: skip
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "grid": _grid(top, fmt), "left": LEFT,
            "right": WIDTH - RIGHT, "base": HEIGHT - BOTTOM}  # fmt: skip


def stacked(points: list[tuple[str, dict[str, Decimal]]], keys: list[str]) -> dict:
    """A stacked column per point: one segment per key, bottom to top in the order of `keys`."""
    top = _nice_top(max((float(sum(v.values(), Decimal(0))) for _, v in points), default=0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / max(len(points), 1)
    bars = []
    for i, (label, values) in enumerate(points):
        y = TOP + inner_h
        segments = []
        for n, key in enumerate(keys):
            h = inner_h * float(values.get(key, 0)) / top
            y -= h
            segments.append({"key": key, "index": n, "y": round(y, 1), "h": round(h, 1),
                             "value": short_amount(values.get(key, 0))})  # fmt: skip
        bars.append({"x": round(LEFT + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1), "label": label,
                     "cx": round(LEFT + i * slot + slot / 2, 1), "segments": segments})  # fmt: skip
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "grid": _grid(top), "left": LEFT, "right": WIDTH - RIGHT,
            "base": HEIGHT - BOTTOM, "keys": keys}  # fmt: skip


def line(points: list[tuple[str, float | None]], fmt=lambda v: f"{v:.0f}", top: float | None = None) -> dict:
    """A line through the points that have a value; gaps where a value is missing."""
    values = [v for _, v in points if v is not None]
    top = top or _nice_top(max(values, default=0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / max(len(points), 1)
    dots, runs, run = [], [], []
    for i, (label, value) in enumerate(points):
        x = round(LEFT + i * slot + slot / 2, 1)
        if value is None:
            if run:
                runs.append(run)
            run = []
            dots.append({"x": x, "y": None, "label": label, "value": "–"})
            continue
        y = round(TOP + inner_h - inner_h * min(value, top) / top, 1)
        run.append(f"{x},{y}")
        dots.append({"x": x, "y": y, "label": label, "value": fmt(value)})
    if run:
        runs.append(run)
    return {"width": WIDTH, "height": HEIGHT, "dots": dots, "runs": [" ".join(r) for r in runs], "grid": _grid(top, fmt),
            "left": LEFT, "right": WIDTH - RIGHT, "base": HEIGHT - BOTTOM}  # fmt: skip


def hbars(items: list[tuple[str, Decimal]], fmt=short_amount) -> dict:
    """Horizontal bars with their value at the end: aging buckets today."""
    top = max((float(v) for _, v in items), default=0) or 1.0
    row, label_w, width = 30, 70, WIDTH - 130
    bars = [{"label": label, "y": 8 + row * i, "w": round(width * float(v) / top, 1), "value": fmt(v),
             "ty": 8 + row * i + 14, "index": i} for i, (label, v) in enumerate(items)]  # fmt: skip
    return {"width": WIDTH, "height": 16 + row * len(items), "bars": bars, "x0": label_w}
