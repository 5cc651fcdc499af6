"""Figures of a force-generation plan: coverage heat map (lines × months), rotation Gantt chart.

Matplotlib's object API (``Figure`` rendered by the Agg canvas, never ``pyplot``), so no
display and no global figure state are involved: safe on a server and in threads. Each
function writes one PNG and returns its path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ceasefire.coalition.solver import Plan, assign_lanes

#: Most lanes the Gantt chart draws; beyond that the chart would be unreadable.
MAX_GANTT_LANES = 80


def coverage_heatmap(plan: Plan, path: Path) -> Path:
    """Share of each line's demand met per month; grey where the line is not open.

    Red = nothing, yellow = partly, green = fully covered; the number in a cell is units
    covered/required when the grid is small enough to read.
    """
    demand, covered = plan.demand, plan.covered
    ratio = np.where(demand > 0, covered / np.where(demand > 0, demand, 1), np.nan)
    n_lines, n_months = ratio.shape
    fig_h = max(3.0, 0.32 * n_lines + 1.5)
    fig = Figure(figsize=(max(8.0, 0.42 * n_months + 4), fig_h))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    cmap = colormaps["RdYlGn"].with_extremes(bad="#dddddd")
    image = ax.imshow(ratio, aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0, interpolation="none")
    labels = [f"{r.id} (P{r.priority})" for r in plan.problem.requirements]
    ax.set_yticks(range(n_lines), labels, fontsize=8 if n_lines <= 40 else 5)
    ax.set_xticks(range(n_months), [str(m) for m in range(n_months)], fontsize=8)
    ax.set_xlabel("month after the ceasefire")
    ax.set_title(
        f"CJSOR coverage — weighted {plan.coverage:.1%} ({plan.status}, gap {plan.gap:.2%})"
    )
    if n_lines * n_months <= 900:
        for j in range(n_lines):
            for m in range(n_months):
                if demand[j, m] > 0 and covered[j, m] < demand[j, m]:
                    ax.text(
                        m,
                        j,
                        f"{covered[j, m]:.0f}/{demand[j, m]:.0f}",
                        ha="center",
                        va="center",
                        fontsize=5.5,
                        color="black",
                    )
    fig.colorbar(image, ax=ax, label="share of demand covered", fraction=0.03)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def _palette() -> list[tuple[float, float, float, float]]:
    """27 distinguishable colours: tab10, then Dark2, then Set1 (repeats beyond that)."""
    out: list[tuple[float, float, float, float]] = []
    for name, n in (("tab10", 10), ("Dark2", 8), ("Set1", 9)):
        cmap = colormaps[name]
        for i in range(n):
            r, g, b, a = (float(x) for x in cmap(i))
            out.append((r, g, b, a))
    return out


def rotation_gantt(plan: Plan, path: Path) -> Path:
    """One row per pledged unit that serves; bars are tours (coloured by line), the lighter
    band after each is the two tours' recovery of the rule of thirds."""
    problem = plan.problem
    line_ids = [r.id for r in problem.requirements]
    palette = _palette()
    colour = {rid: palette[k % len(palette)] for k, rid in enumerate(line_ids)}
    rows: list[tuple[str, list[tuple[int, int, str]]]] = []
    for p in problem.pledges:
        tours = tuple(t for t in plan.tours if t.pledge_id == p.id)
        if not tours:
            continue
        lanes: dict[int, list[tuple[int, int, str]]] = {}
        for lane, tour in assign_lanes(tours, p.units):
            lanes.setdefault(lane, []).append(
                (tour.start_month, tour.end_month, tour.requirement_id)
            )
        for lane in sorted(lanes):
            rows.append((f"{p.id} #{lane + 1}", lanes[lane]))
    truncated = len(rows) > MAX_GANTT_LANES
    rows = rows[:MAX_GANTT_LANES]
    horizon = problem.horizon_months
    fig = Figure(figsize=(max(9.0, 0.4 * horizon + 5), max(3.0, 0.28 * len(rows) + 1.8)))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for y, (_label, bars) in enumerate(rows):
        # one collection per row for the tours and one for the rests: few artists, fast draw
        rests = [(end, min(2 * (end - start), horizon - end)) for start, end, _rid in bars]
        ax.broken_barh(
            [r for r in rests if r[1] > 0],
            (y - 0.4, 0.8),
            facecolors=[
                (*colour[rid][:3], 0.18)
                for (_s, _e, rid), r in zip(bars, rests, strict=True)
                if r[1] > 0
            ],
            linewidth=0,
        )
        ax.broken_barh(
            [(start, end - start) for start, end, _rid in bars],
            (y - 0.4, 0.8),
            facecolors=[colour[rid] for _s, _e, rid in bars],
            edgecolor="black",
            linewidth=0.4,
        )
        for start, end, rid in bars:
            if end - start >= 2:
                ax.text(
                    (start + end) / 2, y, rid.split("-")[0], ha="center", va="center", fontsize=6
                )
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, horizon)
    ax.set_xticks(range(0, horizon + 1, max(1, horizon // 24)))
    ax.set_xlabel("month after the ceasefire (light band: recovery, rule of thirds)")
    title = "Rotation plan by pledged unit"
    if truncated:
        title += f" (first {MAX_GANTT_LANES} units)"
    ax.set_title(title)
    used = [rid for rid in line_ids if any(t.requirement_id == rid for t in plan.tours)]
    handles = [Patch(color=colour[rid], label=rid) for rid in used]
    ax.legend(
        handles=handles,
        fontsize=6,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        ncol=1 + len(handles) // 30,
    )
    ax.grid(axis="x", linewidth=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
