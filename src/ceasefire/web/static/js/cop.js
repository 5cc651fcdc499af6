// The common operating picture: wires the API, the incident store, the map, the filters, the
// time bar (window and replay), the panel, the chart and the live stream. Test hooks:
// `#incident-count` (incidents matching the filters, whole dataset), data-testid attributes,
// and `body[data-ready="1"]` after the first complete load (`data-loading="1"` while a time
// window is being fetched).

import { AlertsPanel } from "./alerts.js";
import { api, CSRF_KEY, fetchAllIncidents } from "./api.js";
import { drawDailyCounts } from "./chart.js";
import { buildFilters } from "./filters.js";
import { ForceLayer } from "./force.js";
import { IncidentStore, resolveWindow } from "./incidents.js";
import { Legend } from "./legend.js";
import { CopMap } from "./map.js";
import { IncidentPanel } from "./panel.js";
import { connectStream } from "./stream.js";
import { TimeBar } from "./timebar.js";

const LIVE_BATCH_MS = 200;

const $ = (id) => document.getElementById(id);

async function main() {
  const me = await api("/api/me");
  renderHeader(me);
  const agreement = inForce(await api("/api/agreement").catch(() => null));

  const store = new IncidentStore();
  const panel = new IncidentPanel($("panel"), agreement, (detail) => {
    store.upsert([detail]);
    copMap.showSelection(detail);
  });
  const copMap = new CopMap($("map"), store, async (incident) => {
    copMap.showSelection(await panel.open(incident.id));
  });
  const alerts = new AlertsPanel($("alerts"), $("alerts-summary"), async (id) => {
    copMap.showSelection(await panel.open(id));
  });
  const timeBar = new TimeBar($("timebar"), (at) => {
    store.setReplayAt(at);
    drawChart();
  });
  const legend = new Legend($("legend"));
  const force = new ForceLayer(copMap.map, copMap.layersControl);
  let forceAt = null; // the window end the force layer shows (its month changes slowly)
  let shownWindow = null;
  store.onChange(() => {
    legend.update(store.bySeverity);
    $("incident-count").textContent = String(store.matching.length);
    $("incident-total").textContent = String(store.byId.size);
    if (store.window !== shownWindow) {
      // a new window, or a live one moved by a newer arrival
      shownWindow = store.window;
      timeBar.show(store.window);
      drawChart();
      const end = store.window.end;
      if (forceAt === null || !Number.isFinite(end) || Math.abs(end - forceAt) > 3600 * 1000) {
        forceAt = Number.isFinite(end) ? end : Date.now();
        force.load(forceAt);
      }
    }
  });

  let time = null;
  let loading = null;
  let liveBuffer = []; // incidents (and {id, removed: true}) not applied yet
  let liveTimer = null;
  const flushLive = () => {
    liveTimer = null;
    if (loading) return; // applied when the load finishes
    const items = liveBuffer;
    liveBuffer = [];
    store.upsert(items.filter((item) => !item.removed));
    const removed = items.filter((item) => item.removed).map((item) => item.id);
    if (removed.length) store.remove(removed);
    if (panel.detail && items.some((item) => String(item.id) === String(panel.detail.id))) {
      panel.open(panel.detail.id);
    }
    scheduleCounts();
  };

  async function load(newTime) {
    time = newTime;
    const controller = new AbortController();
    if (loading) loading.abort();
    loading = controller;
    document.body.dataset.loading = "1";
    setStatus("loading incidents…");
    try {
      let newestMs = null;
      if (time.span !== "custom" && time.anchor !== "asof") {
        // the newest incident this user is shown anchors "last 24 h" (not the clock)
        const extent = await api("/api/time/extent", { signal: controller.signal });
        newestMs = extent.last ? Date.parse(extent.last) : null;
      }
      const window_ = resolveWindow(time, newestMs, Date.now());
      const query = { since: window_.since, until: window_.until };
      const items = await fetchAllIncidents(query, (n) => setStatus(`loading incidents… ${n}`), controller.signal);
      if (loading !== controller) return;
      loading = null;
      store.replace(items, window_);
      if (liveBuffer.length) flushLive();
      setStatus(`${items.length} incidents loaded, indexed in ${Math.round(store.indexMs)} ms`);
      delete document.body.dataset.loading;
      await loadCounts();
    } catch (error) {
      if (error.name === "AbortError") return;
      loading = null;
      delete document.body.dataset.loading;
      setStatus(`could not load incidents: ${error.message}`, true);
    }
  }

  let countsTimer = null;
  function scheduleCounts() {
    if (countsTimer === null) countsTimer = setTimeout(() => { countsTimer = null; loadCounts(); }, 5000);
  }
  let days = [];
  function drawChart() {
    drawDailyCounts($("daily-chart"), days, store.window, store.replayAt);
  }
  async function loadCounts() {
    const w = store.window;
    const iso = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
    try {
      // the same window as the incidents (the first and last days may be partial)
      const counts = await api("/api/counts/daily", { params: { since: iso(w.start), until: w.live ? null : iso(w.end) } });
      days = counts.days || [];
      drawChart();
    } catch (error) {
      console.warn("daily counts not loaded", error);
    }
  }

  const initial = buildFilters($("filters"), {
    onTime: (t) => load(t),
    onCategories: (categories) => store.setCategories(categories),
    onStates: (states) => store.setStates(states),
  });

  connectStream({
    onIncident: (item) => {
      liveBuffer.push(item);
      if (liveTimer === null) liveTimer = setTimeout(flushLive, LIVE_BATCH_MS);
    },
    onRemoved: (item) => {
      liveBuffer.push({ id: item.id, removed: true });
      if (liveTimer === null) liveTimer = setTimeout(flushLive, LIVE_BATCH_MS);
    },
    onAlert: () => alerts.reloadSoon(),
    onReconnect: () => load(time),
    onStatus: (status) => {
      $("live-status").textContent = status;
      $("live-status").dataset.status = status;
    },
  });

  await Promise.all([copMap.loadBaseLayers(), load(initial.time), alerts.load()]);
  window.addEventListener("resize", () => drawChart());
  document.body.dataset.ready = "1";
}

/**
 * The agreement version in force: the contract's single object, or the newest of `versions`
 * already in force (the last one if none is yet). Only its parties are used (attribution).
 */
function inForce(agreement) {
  if (!agreement) return { parties: [] };
  if (!Array.isArray(agreement.versions)) return agreement;
  const now = Date.now();
  const started = agreement.versions.filter((v) => !v.in_force_from || Date.parse(v.in_force_from) <= now);
  const pool = started.length ? started : agreement.versions;
  return pool[pool.length - 1] || { parties: [] };
}

function renderHeader(me) {
  $("user-name").textContent = me.name;
  $("user-nation").textContent = me.view || me.nation || me.organisation;
  $("user-detail").textContent = [me.organisation, me.clearance, (me.roles || []).join(", ")].filter(Boolean).join(" · ");
  document.title = `COP · ${me.view || me.nation} view · ceasefire HQ`;
  $("logout").addEventListener("click", async () => {
    await api("/api/session", { method: "DELETE" }).catch(() => null);
    sessionStorage.removeItem(CSRF_KEY);
    window.location.assign("/login");
  });
}

function setStatus(text, isError = false) {
  const element = $("status");
  element.textContent = text;
  element.classList.toggle("error", isError);
}

main().catch((error) => {
  if (error && error.status === 401) return; // on the way to the login page
  setStatus(`the COP could not start: ${error.message || error}`, true);
  console.error(error);
});
