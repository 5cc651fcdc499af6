"""The report's two pictures, drawn with matplotlib (no pyplot, no display): map and trend.

Both return PNG bytes, so the HTML can embed them as base64 and the Markdown can sit next to
them as files. They are drawn for a reader who has never seen the project: a title with the
date, a legend for every colour, a scale bar on the map, axis labels with units on the chart.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from numpy.typing import NDArray

from ceasefire.monitoring.columns import DailySeries
from ceasefire.monitoring.daily import MapPoints
from ceasefire.monitoring.oblasts import Oblasts

#: Severity 1..5 → colour (light to dark); 0 = observed, no violation.
SEVERITY_COLOURS: dict[int, str] = {
    0: "#9e9e9e",
    1: "#fdd835",
    2: "#fb8c00",
    3: "#e53935",
    4: "#8e24aa",
    5: "#1a1a1a",
}
ZONE_COLOURS = (
    "#1e88e5",
    "#43a047",
    "#00acc1",
    "#5e35b1",
    "#6d4c41",
    "#f4511e",
    "#3949ab",
    "#7cb342",
    "#d81b60",
    "#00897b",
)
DPI = 110
KM_PER_DEG_LAT = 111.32


@dataclass(frozen=True, eq=False)
class MapLayers:
    """What the map draws under the reports: oblasts, the contact line, zones, storage sites.

    Geometries are shapely objects in WGS 84 degrees; ``zones`` keeps the agreement's order as
    ``(id, polygon, is_area)``: bands along the line are drawn as outlines (they nest), explicit
    areas (disengagement, exclusion) filled.
    """

    oblasts: Oblasts
    line: object | None = None
    zones: tuple[tuple[str, object, bool], ...] = ()
    storage_sites: object | None = None
    occupied_area: object | None = None
    occupied_label: str = "Area east of the line"
    countries: tuple[tuple[str, object], ...] = ()
    extent: tuple[float, float, float, float] | None = field(default=None)


def _png(fig: Figure) -> bytes:
    """Render with the Agg canvas (``Figure`` without pyplot: no global state, thread-safe)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)  # fixed layout: "tight" would draw twice
    return buf.getvalue()


def _polygon_path(geom: Any) -> Path | None:
    """One compound path (exteriors and holes) for every polygon part of ``geom``."""
    vertices: list[NDArray[np.float64]] = []
    codes: list[NDArray[np.uint8]] = []
    for part in shapely.get_parts(np.asarray([geom], dtype=object)):
        if part is None or part.is_empty or part.geom_type not in {"Polygon", "MultiPolygon"}:
            continue
        for poly in shapely.get_parts(np.asarray([part], dtype=object)):
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords, dtype=np.float64)
                if xy.shape[0] < 3:
                    continue
                ring_codes = np.full(xy.shape[0], Path.LINETO, dtype=np.uint8)
                ring_codes[0] = Path.MOVETO
                ring_codes[-1] = Path.CLOSEPOLY
                vertices.append(xy)
                codes.append(ring_codes)
    if not vertices:
        return None
    return Path(np.concatenate(vertices), np.concatenate(codes))


def _draw_polygons(ax: Axes, geoms: Any, *, simplify_deg: float = 0.005, **style: Any) -> None:
    """Draw polygons as one collection, simplified for display (0.005° ≈ 500 m, below a pixel).

    A collection with ``autolim=False`` skips matplotlib's per-vertex limit update, the
    difference between 5 s and 0.1 s for the detailed oblast boundaries.
    """
    items = np.atleast_1d(np.asarray(geoms, dtype=object))
    simple = (
        shapely.simplify(items, simplify_deg, preserve_topology=True) if simplify_deg else items
    )
    paths = [p for p in (_polygon_path(g) for g in simple) if p is not None]
    if paths:
        ax.add_collection(PathCollection(paths, **style), autolim=False)


def _draw_lines(ax: Axes, geom: object, **style: Any) -> None:
    for part in shapely.get_parts(np.asarray([geom], dtype=object)):
        if part.geom_type == "LineString":
            xs, ys = part.xy
            ax.plot(xs, ys, **style)
        elif part.geom_type == "MultiLineString":
            _draw_lines(ax, part, **style)


def _extent(layers: MapLayers, points: MapPoints) -> tuple[float, float, float, float]:
    """The contact line with its zones (about 1° around it) and the bulk of the day's reports.

    Without a line: Ukraine east of 30°E. At least 4° × 3°, at most Ukraine and its borders.
    """
    if layers.extent is not None:
        return layers.extent
    if layers.line is not None:
        bx = shapely.bounds(layers.line)
        xmin, ymin, xmax, ymax = bx[0] - 1.0, bx[1] - 0.6, bx[2] + 1.0, bx[3] + 0.6
    else:
        xmin, ymin, xmax, ymax = 30.0, 45.5, 40.5, 51.5
    if points.lon.size:
        lo_x, hi_x = np.nanpercentile(points.lon, [1, 99])
        lo_y, hi_y = np.nanpercentile(points.lat, [1, 99])
        xmin, xmax = min(xmin, float(lo_x) - 0.3), max(xmax, float(hi_x) + 0.3)
        ymin, ymax = min(ymin, float(lo_y) - 0.3), max(ymax, float(hi_y) + 0.3)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_x, half_y = max((xmax - xmin) / 2, 2.0), max((ymax - ymin) / 2, 1.5)
    return (
        max(cx - half_x, 21.5),
        max(cy - half_y, 43.8),
        min(cx + half_x, 41.5),
        min(cy + half_y, 53.0),
    )


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float]) -> None:
    """A bar of 100, 50, 20, 10 or 5 km (the longest under a quarter of the map's width) in the
    lower left, true at the bar's latitude."""
    xmin, ymin, xmax, ymax = extent
    lat = ymin + 0.06 * (ymax - ymin)
    km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(lat))
    width_km = (xmax - xmin) * km_per_deg_lon
    length_km = next((k for k in (100.0, 50.0, 20.0, 10.0) if k <= width_km / 4), 5.0)
    x0 = xmin + 0.04 * (xmax - xmin)
    x1 = x0 + length_km / km_per_deg_lon
    ax.plot([x0, x1], [lat, lat], color="black", linewidth=3, solid_capstyle="butt", zorder=9)
    ax.text(
        (x0 + x1) / 2, lat + 0.02 * (ymax - ymin), f"{length_km:.0f} km", ha="center", fontsize=8
    )


def render_map(
    layers: MapLayers,
    points: MapPoints,
    *,
    title: str,
    subtitle: str = "",
) -> bytes:
    """The day's reports on the agreement's geography, coloured by the worst rule they break.

    Marker area grows with the report's ``count`` (log scale); a hollow marker is a *possible*
    violation (the location's uncertainty crosses the zone's edge). Reports breaking no rule
    are small grey dots. Returns PNG bytes.
    """
    extent = _extent(layers, points)
    mid_lat = (extent[1] + extent[3]) / 2
    # Size the figure to the map's true shape (x scaled by cos(latitude)) so no space is wasted;
    # the axes take the left 64 %, the legend the rest.
    shape = (extent[3] - extent[1]) / ((extent[2] - extent[0]) * math.cos(math.radians(mid_lat)))
    ax_w = 8.0 if shape <= 1.1 else 8.0 * 1.1 / shape
    ax_h = min(max(ax_w * shape, 4.0), 9.0)
    fig = Figure(figsize=(ax_w / 0.64, ax_h / 0.84))
    ax = fig.add_axes((0.06, 0.07, 0.64, 0.84))
    ax.set_facecolor("#dbe9f4")  # sea
    for name, geom in layers.countries:
        _draw_polygons(ax, geom, facecolors="#e4e4e4", edgecolors="#b0b0b0", linewidths=0.4)
        label_at = shapely.point_on_surface(shapely.clip_by_rect(geom, *extent))
        if not label_at.is_empty and name in {"Russia", "Belarus", "Moldova", "Poland", "Romania"}:
            ax.text(
                label_at.x,
                label_at.y,
                name.upper(),
                fontsize=8,
                color="#9e9e9e",
                ha="center",
                zorder=3,
            )
    _draw_polygons(
        ax,
        layers.oblasts.display_geometries(),
        simplify_deg=0.0,
        facecolors="#f7f5ef",
        edgecolors="#8d8d8d",
        linewidths=0.5,
    )
    handles: list[object] = []
    tol = (extent[2] - extent[0]) / 2000  # simplification under a pixel at this zoom
    if layers.occupied_area is not None:
        _draw_polygons(
            ax,
            layers.occupied_area,
            simplify_deg=tol,
            facecolors="#f3d9d9",
            edgecolors="none",
            zorder=1,
        )
        handles.append(Patch(facecolor="#f3d9d9", label=layers.occupied_label))
    for k, (zone_id, geom, is_area) in enumerate(layers.zones):
        colour = ZONE_COLOURS[k % len(ZONE_COLOURS)]
        if is_area:
            _draw_polygons(
                ax,
                geom,
                simplify_deg=tol,
                facecolors=colour,
                alpha=0.6,
                edgecolors=colour,
                linewidths=1.2,
                zorder=4,
            )
            handles.append(Patch(facecolor=colour, alpha=0.6, label=f"Area: {zone_id}"))
        else:
            _draw_polygons(
                ax,
                geom,
                simplify_deg=tol,
                facecolors="none",
                edgecolors=colour,
                linewidths=0.9,
                linestyles="--",
                zorder=4,
            )
            handles.append(Line2D([], [], color=colour, linestyle="--", label=f"Zone: {zone_id}"))
    if layers.line is not None:
        _draw_lines(ax, layers.line, color="#b71c1c", linewidth=1.4, zorder=9)  # over the reports
        handles.append(Line2D([], [], color="#b71c1c", linewidth=1.6, label="Contact line"))
    if layers.storage_sites is not None:
        sites = shapely.get_coordinates(layers.storage_sites)
        if sites.size:
            ax.scatter(sites[:, 0], sites[:, 1], marker="s", s=22, c="#2e7d32", zorder=6)
            handles.append(
                Line2D([], [], marker="s", color="#2e7d32", linestyle="", label="Storage site")
            )
    _draw_points(ax, points, handles)
    for name, geom in zip(layers.oblasts.names, layers.oblasts.geometries, strict=True):
        p = shapely.point_on_surface(geom)
        if extent[0] < p.x < extent[2] and extent[1] < p.y < extent[3]:
            ax.text(p.x, p.y, name, fontsize=7, color="#616161", ha="center", zorder=3)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    ax.set_xlabel("Longitude (°E)")
    ax.set_ylabel("Latitude (°N)")
    _scale_bar(ax, extent)
    ax.set_title(f"{title}\n{subtitle}" if subtitle else title, fontsize=11)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title="Legend",
        title_fontsize=9,
    )
    return _png(fig)


#: Marker area (pt²) by the report's count: 1, 2-9, 10 or more. Three fixed sizes draw ~7x
#: faster than one size per marker, which matters at 100,000 reports.
SIZE_CLASSES: tuple[tuple[int, int, float], ...] = ((1, 1, 10.0), (2, 9, 28.0), (10, 2**62, 70.0))


def _draw_points(ax: Axes, points: MapPoints, handles: list[object]) -> None:
    """Reports by worst severity (colour), certainty (filled/hollow) and count (3 sizes)."""
    quiet = points.severity == 0
    if quiet.any():
        ax.scatter(
            points.lon[quiet], points.lat[quiet], s=3, c=SEVERITY_COLOURS[0], zorder=6, linewidths=0
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color=SEVERITY_COLOURS[0],
                linestyle="",
                markersize=3,
                label=f"Report, no rule broken ({int(quiet.sum()):,})",
            )
        )
    for sev in range(1, 6):
        sel = points.severity == sev
        if not sel.any():
            continue
        colour = SEVERITY_COLOURS[sev]
        for low, high, area in SIZE_CLASSES:
            in_class = sel & (points.count >= low) & (points.count <= high)
            certain = in_class & points.certain
            possible = in_class & ~points.certain
            if certain.any():
                ax.scatter(
                    points.lon[certain],
                    points.lat[certain],
                    s=area,
                    c=colour,
                    linewidths=0,
                    alpha=0.55 if sev <= 2 else 0.9,  # dense low-severity fire stays see-through
                    zorder=7 + sev / 10,
                )
            if possible.any():
                ax.scatter(
                    points.lon[possible],
                    points.lat[possible],
                    s=area,
                    facecolors="none",
                    edgecolors=colour,
                    linewidths=0.9,
                    zorder=7 + sev / 10,
                )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color=colour,
                linestyle="",
                markersize=7,
                label=f"Violation, severity {sev} ({int(sel.sum()):,})",
            )
        )
    if (points.severity > 0).any() and (~points.certain).any():
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="none",
                color="#424242",
                linestyle="",
                label="Hollow: possible (location uncertain)",
            )
        )
    if points.lon.size:
        for (_low, _high, area), label in zip(
            SIZE_CLASSES, ("count 1", "count 2-9", "count 10 or more"), strict=True
        ):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    color="#757575",
                    linestyle="",
                    markersize=float(np.sqrt(area)),
                    label=f"Size: {label}",
                )
            )


def _bars(
    ax: Axes,
    x: NDArray[np.int64],
    height: NDArray[np.int64],
    bottom: NDArray[np.int64],
    colours: Any,
    *,
    width: float = 0.8,
) -> None:
    """Bars as one collection (``Axes.bar`` adds one patch each and costs 10x more)."""
    left = x - width / 2
    verts = np.stack(
        [
            np.column_stack([left, bottom]),
            np.column_stack([left + width, bottom]),
            np.column_stack([left + width, bottom + height]),
            np.column_stack([left, bottom + height]),
        ],
        axis=1,
    ).astype(np.float64)
    ax.add_collection(PolyCollection(list(verts), facecolors=colours, linewidths=0), autolim=False)


def render_trend(series: DailySeries, *, day: date, title: str) -> bytes:
    """Thirty days of ceasefire violations (sum of counts) and rule violations by severity.

    Two panels sharing the date axis: the SMM-style total of fire observations, and the
    violation records per day stacked by severity; the report's own day is highlighted.
    Returns PNG bytes.
    """
    x = np.arange(len(series.days))
    fig = Figure(figsize=(11.5, 5.8))
    top, bottom = fig.subplots(2, 1, sharex=True)
    fig.subplots_adjust(left=0.09, right=0.70, top=0.92, bottom=0.11, hspace=0.12)
    highlight = np.asarray([d == day for d in series.days])
    _bars(
        top, x, series.fire, np.zeros_like(series.fire), np.where(highlight, "#c62828", "#90a4ae")
    )
    top.set_ylim(0, max(1.0, float(series.fire.max(initial=0)) * 1.08))
    top.set_ylabel("Observed\n(sum of counts)")
    top.set_title(title, fontsize=11)
    top.legend(
        handles=[
            Patch(color="#90a4ae", label="Fire observed (explosions, shots …; sum of counts)"),
            Patch(color="#c62828", label=f"Report day {day.isoformat()}"),
        ],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    base: NDArray[np.int64] = np.zeros(len(series.days), dtype=np.int64)
    legend_sev: list[Patch] = []
    for sev in range(1, 6):
        values = series.violations_by_severity[:, sev - 1]
        if values.any():
            _bars(bottom, x, values, base, [SEVERITY_COLOURS[sev]] * len(x))
            legend_sev.append(Patch(color=SEVERITY_COLOURS[sev], label=f"Severity {sev}"))
            base = base + values
    bottom.set_ylabel("Rule violations\n(records)")
    if base.any():
        bottom.legend(handles=legend_sev, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    bottom.set_ylim(0, max(1.0, float(base.max(initial=0)) * 1.08))
    bottom.set_xlim(-0.6, len(series.days) - 0.4)
    step = max(1, len(series.days) // 10)
    bottom.set_xticks(x[::step], [d.strftime("%d %b") for d in series.days[::step]])
    bottom.set_xlabel("Day (Kyiv time)")
    for axis in (top, bottom):
        axis.grid(axis="y", color="#e0e0e0")
        axis.set_axisbelow(True)
    return _png(fig)
