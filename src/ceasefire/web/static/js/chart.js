// Daily counts on a <canvas>: incidents as bars, violations as a line. Drawn by hand (no chart
// library to vendor for one picture); redrawn when the window or the data changes.

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{date: string, incidents: number, violations: number, reports: number}[]} days
 */
export function drawDailyCounts(canvas, days) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#475569";
  if (!days.length) {
    ctx.fillText("no data in this window", 8, height / 2);
    return;
  }
  const pad = { left: 32, right: 8, top: 8, bottom: 18 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...days.map((d) => Math.max(d.incidents, d.violations)));
  const step = plotW / days.length;
  const y = (value) => pad.top + plotH - (value / max) * plotH;
  ctx.fillText(String(max), 4, pad.top + 8);
  ctx.fillText("0", 4, pad.top + plotH);
  ctx.fillStyle = "#60a5fa";
  days.forEach((d, i) => ctx.fillRect(pad.left + i * step + 1, y(d.incidents), Math.max(1, step - 2), pad.top + plotH - y(d.incidents)));
  ctx.strokeStyle = "#dc2626";
  ctx.lineWidth = 2;
  ctx.beginPath();
  days.forEach((d, i) => ctx[i ? "lineTo" : "moveTo"](pad.left + (i + 0.5) * step, y(d.violations)));
  ctx.stroke();
  ctx.fillStyle = "#475569";
  ctx.fillText(days[0].date, pad.left, height - 4);
  const last = days[days.length - 1].date;
  ctx.fillText(last, width - pad.right - ctx.measureText(last).width, height - 4);
}
