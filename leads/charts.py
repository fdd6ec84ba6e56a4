"""Server-side SVG chart geometry: the template draws rectangles, Python does the maths
(no JavaScript, no external service, nothing for the CSP to block)."""

import datetime
import math
from dataclasses import dataclass

from leads.selectors import DayCount


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: datetime.date
    count: int
    show_label: bool


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    bottom: int
    bars: list[Bar]
    ticks: list[Tick]
    total: int
    peak: int


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above value (at least 4, so the
    four grid lines fall on whole numbers)."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(days: list[DayCount], *, width: int = 720, height: int = 220) -> BarChart:
    """Bars for one count per day, with four horizontal grid lines."""
    left, bottom, top = 40, 24, 8
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((d.count for d in days), default=0)
    ceiling = _nice_ceiling(peak)
    slot = plot_w / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        h = plot_h * day.count / ceiling
        bars.append(
            Bar(
                x=round(left + i * slot + slot * 0.15, 2),
                y=round(top + plot_h - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                day=day.day,
                count=day.count,
                # Every seventh day, counted back from today, so today is labelled.
                show_label=(len(days) - 1 - i) % 7 == 0,
            )
        )
    ticks = [
        Tick(y=round(top + plot_h - plot_h * k / 4, 2), value=ceiling * k // 4) for k in range(5)
    ]
    return BarChart(
        width=width,
        height=height,
        left=left,
        bottom=height - bottom,
        bars=bars,
        ticks=ticks,
        total=sum(d.count for d in days),
        peak=peak,
    )
