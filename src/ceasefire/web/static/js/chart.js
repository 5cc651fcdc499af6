// Daily counts on a <canvas>: incidents as bars, violations as a line, over the window's own
// time axis: it starts and ends where the window does (both printed under it, UTC), a day's
// bar covers the part of that day inside the window (so a 24 h window shows two part-days,
// each as wide as its hours), and the replay slider's time is a vertical line. Drawn by hand
// (no chart library to vendor for one picture); redrawn when the window or the data changes.

import { utcMinutes } from "./timebar.js";

const DAY_MS = 24 * 3600 * 1000;

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{date: string, incidents: number, violations: number, reports: number}[]} days
 * @param {{start: number|null, end: number|null}} window
 * @param {number|null} [replayAt] the replay slider's time (ms), drawn as a line
 */
export function drawDailyCounts(canvas, days, window, replayAt = null) {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#475569";
  // the axis: the window's, or (an open custom range) the days found
  const firstDay = days.length ? Date.parse(`${days[0].date}T00:00:00Z`) : null;
  const lastDay = days.length ? Date.parse(`${days[days.length - 1].date}T00:00:00Z`) + DAY_MS : null;
  const start = Number.isFinite(window.start) ? window.start : firstDay;
  const end = Number.isFinite(window.end) ? window.end : lastDay;
  canvas.dataset.start = start === null ? "" : new Date(start).toISOString();
  canvas.dataset.end = end === null ? "" : new Date(end).toISOString();
  canvas.dataset.days = String(days.length);
  if (!days.length || start === null || end === null || end <= start) {
    ctx.fillText("no data in this window", 8, height / 2);
    return;
  }
  const pad = { left: 30, right: 6, top: 8, bottom: 18 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (ms) => pad.left + ((Math.min(end, Math.max(start, ms)) - start) / (end - start)) * plotW;
  const max = Math.max(1, ...days.map((d) => Math.max(d.incidents, d.violations)));
  const y = (value) => pad.top + plotH - (value / max) * plotH;
  ctx.fillText(String(max), 2, pad.top + 8);
  ctx.fillText("0", 2, pad.top + plotH);
  // midnights (UTC) as faint ticks
  ctx.strokeStyle = "#e2e8f0";
  ctx.lineWidth = 1;
  for (let t = Math.ceil(start / DAY_MS) * DAY_MS; t < end; t += DAY_MS) {
    ctx.beginPath();
    ctx.moveTo(x(t), pad.top);
    ctx.lineTo(x(t), pad.top + plotH);
    ctx.stroke();
  }
  const spans = days.map((d) => {
    const dayStart = Date.parse(`${d.date}T00:00:00Z`);
    return { d, x0: x(dayStart), x1: x(dayStart + DAY_MS) };
  });
  ctx.fillStyle = "#60a5fa";
  for (const { d, x0, x1 } of spans) {
    if (x1 - x0 < 0.5) continue;
    ctx.fillRect(x0 + 0.5, y(d.incidents), Math.max(1, x1 - x0 - 1), pad.top + plotH - y(d.incidents));
  }
  ctx.strokeStyle = "#dc2626";
  ctx.lineWidth = 2;
  ctx.beginPath();
  spans.forEach(({ d, x0, x1 }, i) => ctx[i ? "lineTo" : "moveTo"]((x0 + x1) / 2, y(d.violations)));
  ctx.stroke();
  ctx.fillStyle = "#dc2626"; // a dot per day: one day alone has no line to draw
  for (const { d, x0, x1 } of spans) {
    ctx.beginPath();
    ctx.arc((x0 + x1) / 2, y(d.violations), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (replayAt !== null && replayAt >= start && replayAt <= end) {
    ctx.strokeStyle = "#0f172a";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x(replayAt), pad.top - 4);
    ctx.lineTo(x(replayAt), pad.top + plotH);
    ctx.stroke();
  }
  ctx.fillStyle = "#475569";
  const left = utcMinutes(start);
  const right = utcMinutes(end);
  ctx.fillText(left, pad.left - 24, height - 4);
  ctx.fillText(right, width - ctx.measureText(right).width, height - 4);
}
