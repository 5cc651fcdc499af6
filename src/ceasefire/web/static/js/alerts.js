// The alerts panel: the latest guarantee alerts this reader may be told of (the API applies
// the stream's releasability rule), each with the obligations it opened and a countdown to
// their deadlines, and links to the incidents that made it true (click: the incident is
// opened in the panel and selected on the map).
//
// Countdowns run from the record's moment (`at` of /api/alerts: now, or the latest evaluation
// when the demo's simulated month runs ahead of the clock), the moment `ceasefire guarantees
// status` counts at, so the panel and the CLI agree on what is open and what is overdue.

import { api } from "./api.js";
import { formatTime, h } from "./dom.js";

const RELOAD_DEBOUNCE_MS = 1500;

/** `2d 03h 12m 05s`, `5h 12m 00s`, `40s` for a number of seconds (a countdown that visibly
 * moves every second). */
export function formatSpan(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const two = (n) => String(n).padStart(2, "0");
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${two(hr)}h ${two(m)}m ${two(s % 60)}s`;
  if (hr) return `${hr}h ${two(m)}m ${two(s % 60)}s`;
  if (m) return `${m}m ${two(s % 60)}s`;
  return `${s}s`;
}

export class AlertsPanel {
  /**
   * @param {HTMLElement} element the panel's list
   * @param {HTMLElement} summary a line for the counts
   * @param {(incidentId: number) => void} onIncident a link to an incident was clicked
   */
  constructor(element, summary, onIncident) {
    this.element = element;
    this.summary = summary;
    this.onIncident = onIncident;
    this.loadedAt = 0; // performance.now() of the last load: countdowns run from there
    this.timer = null;
    this.reloadTimer = null;
    setInterval(() => this.tick(), 1000);
  }

  /** Fetch and draw the alerts (on start, and a little after a live alert arrives). */
  async load() {
    try {
      const data = await api("/api/alerts", { params: { limit: 30 } });
      this.loadedAt = performance.now();
      this.render(data);
    } catch (error) {
      this.summary.textContent = `alerts not loaded: ${error.message}`;
    }
  }

  /** A live alert arrived: reload once the burst is over. */
  reloadSoon() {
    if (this.reloadTimer !== null) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.load();
    }, RELOAD_DEBOUNCE_MS);
  }

  render(data) {
    const alerts = data.alerts || [];
    this.summary.textContent = alerts.length
      ? `latest ${alerts.length} · ${data.open_obligations} open obligation${data.open_obligations === 1 ? "" : "s"} · as of ${formatTime(data.at)}`
      : "no alerts";
    this.element.replaceChildren(...alerts.map((alert) => this.alertItem(alert)));
    this.tick();
  }

  alertItem(alert) {
    const incidents = alert.incidents.slice(0, 6).map((id) =>
      h("button", { type: "button", class: "link", "data-testid": "alert-incident", onclick: () => this.onIncident(id) }, `#${id}`),
    );
    const more = alert.incidents.length > 6 ? ` +${alert.incidents.length - 6}` : "";
    return h(
      "li",
      { class: `alert level-${alert.level}`, "data-testid": "alert", dataset: { alertId: alert.id } },
      h("div", null, h("b", { class: "level" }, alert.level.toUpperCase()), " ", `${alert.instrument} · ${alert.trigger}`),
      h("div", { class: "muted" }, `fired ${formatTime(alert.fired_at)}`, incidents.length ? " · " : "", incidents, more),
      alert.obligations.length
        ? h(
            "ul",
            { class: "obligations" },
            alert.obligations.map((o) =>
              h(
                "li",
                { "data-testid": "obligation", dataset: { state: o.state, remaining: String(o.remaining_s) } },
                `${o.owner} ${o.kind} (L${o.level}): `,
                h("span", { class: "countdown", "data-testid": "countdown" }, ""),
              ),
            ),
          )
        : null,
    );
  }

  /** Redraw every countdown from the time elapsed since the load. */
  tick() {
    const elapsed = (performance.now() - this.loadedAt) / 1000;
    for (const item of this.element.querySelectorAll("[data-testid=obligation]")) {
      const span = item.querySelector(".countdown");
      const left = Number(item.dataset.remaining) - elapsed;
      if (item.dataset.state === "met") {
        span.textContent = "met";
        item.classList.remove("overdue");
      } else if (left > 0) {
        span.textContent = `due in ${formatSpan(left)}`;
        item.classList.remove("overdue");
      } else {
        span.textContent = `overdue by ${formatSpan(-left)}`;
        item.classList.add("overdue");
      }
    }
  }
}
