// The incidents the page holds, the filters over them, and the cluster index of the ones that
// match. Time windows go to the server (they bound what is fetched); category and state are
// filtered here, over the whole loaded set, so a click on a filter is instant even at 100,000
// incidents and `#incident-count` counts the dataset, not the map view. So is the replay
// slider's "up to" time.

export const CATEGORY_GROUPS = {
  "Fire and explosions": [
    "explosion",
    "projectile_in_flight",
    "muzzle_flash",
    "illumination_flare",
    "burst_of_fire",
    "shots",
  ],
  "Presence and movement": [
    "heavy_weapon",
    "armour",
    "troop_movement",
    "aircraft",
    "uav",
    "vessel",
    "mine",
  ],
  "Consequences and access": [
    "civilian_casualty",
    "infrastructure_damage",
    "movement_restriction",
    "sensor_impeded",
    "attack_on_monitors",
    "attack_on_force",
    "other",
  ],
};
export const CATEGORIES = Object.values(CATEGORY_GROUPS).flat();
export const STATES = ["reported", "corroborated", "verified", "disputed", "rejected"];

const HOUR_MS = 3600 * 1000;
/** Above this many matching incidents, live updates re-index at most every LIVE_REINDEX_MS. */
const LARGE = 20000;
const LIVE_REINDEX_MS = 3000;
/** How long a live arrival stays highlighted on the map. */
export const FRESH_MS = 6000;
export const SPAN_MS = { "24h": 24 * HOUR_MS, "7d": 7 * 24 * HOUR_MS, "30d": 30 * 24 * HOUR_MS };

/**
 * The time window of a filter. A span ("last 24 h") ends at the newest incident the reader
 * is shown (`newestMs`, from /api/time/extent; the clock only when there is none) or at the
 * chosen "as of" time; a custom range is taken as typed. `start`/`end` are what the page
 * shows (ms); `since`/`until` what it asks the API (ISO; `until` null while the window
 * follows the newest data, so incidents arriving live are not cut off); `live`: the end moves
 * with new arrivals.
 * @param {{span: string, anchor: string, asOf?: string, customSince?: string, customUntil?: string}} time
 * @param {number|null} newestMs
 * @param {number} nowMs
 */
export function resolveWindow(time, newestMs, nowMs) {
  if (time.span === "custom") {
    const start = time.customSince ? Date.parse(time.customSince) : null;
    const end = time.customUntil ? Date.parse(time.customUntil) : null;
    return { start, end, spanMs: null, live: false, since: iso(start), until: iso(end) };
  }
  const spanMs = SPAN_MS[time.span] ?? SPAN_MS["7d"];
  if (time.anchor === "asof" && time.asOf) {
    const end = Date.parse(time.asOf);
    return { start: end - spanMs, end, spanMs, live: false, since: iso(end - spanMs), until: iso(end) };
  }
  const end = newestMs ?? nowMs;
  return { start: end - spanMs, end, spanMs, live: true, since: iso(end - spanMs), until: null };
}

function iso(ms) {
  return ms === null || ms === undefined || Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The newest observation time of `items` (ms; -Infinity for none), without spreading
 * 100,000 arguments onto the stack. */
function latest(items) {
  let out = -Infinity;
  for (const item of items) out = Math.max(out, timeOf(item));
  return out;
}

/** An incident's observation time in ms, parsed once. */
export function timeOf(item) {
  if (item._t === undefined) item._t = Date.parse(item.observed_at);
  return item._t;
}

export class IncidentStore {
  constructor() {
    /** @type {Map<string, object>} */
    this.byId = new Map();
    this.window = { start: null, end: null, spanMs: null, live: false };
    this.categories = new Set(CATEGORIES);
    this.states = new Set(STATES);
    /** replay: only incidents observed at or before this time (ms) are shown; null = all */
    this.replayAt = null;
    /** @type {object[]} incidents matching every filter (what `#incident-count` counts) */
    this.matching = [];
    /** matching incidents per severity level 0–5 (the legend's counts) */
    this.bySeverity = [0, 0, 0, 0, 0, 0];
    /** @type {Map<string, number>} live arrivals → until when they are highlighted (ms) */
    this.fresh = new Map();
    /** @type {object[]} the incidents the cluster index was built from, in its order */
    this.indexed = [];
    this.index = null;
    this.indexedAt = -Infinity;
    this.indexMs = 0;
    this.reindexTimer = null;
    this.listeners = new Set();
  }

  /** Replace everything (a new time window was fetched). */
  replace(items, window) {
    this.window = window;
    this.byId = new Map(items.map((item) => [String(item.id), item]));
    this.fresh.clear();
    if (window.live && items.length) {
      // the window ends at the newest incident loaded (at least the one it was asked for)
      this.window = { ...window, end: Math.max(window.end ?? -Infinity, latest(items)) };
    }
    this.refresh();
  }

  /** Drop incidents (fusion superseded them: the stream's `removed` event). */
  remove(ids) {
    for (const id of ids) this.byId.delete(String(id));
    this.refresh({ live: true });
  }

  /**
   * Add or change incidents that arrived live; the new ones are highlighted for FRESH_MS.
   * While the window follows the newest data, a newer incident moves its end (and start:
   * older incidents leave). An incident outside the window, or one fusion superseded,
   * leaves the set. Returns how many were kept.
   */
  upsert(items, { highlight = true } = {}) {
    let kept = 0;
    const now = Date.now();
    const w = this.window;
    if (w.live && w.spanMs) {
      const newest = latest(items.filter((i) => !i.superseded));
      if (newest > (w.end ?? -Infinity)) this.slideTo(newest);
    }
    for (const item of items) {
      const id = String(item.id);
      if (item.superseded || item.state === "superseded" || !this.inWindow(item)) {
        this.byId.delete(id);
      } else {
        if (highlight && !this.byId.has(id)) this.fresh.set(id, now + FRESH_MS);
        this.byId.set(id, item);
        kept += 1;
      }
    }
    this.refresh({ live: true });
    return kept;
  }

  /** Move a live window's end to `endMs`, dropping what falls before its new start. */
  slideTo(endMs) {
    const start = endMs - this.window.spanMs;
    this.window = { ...this.window, start, end: endMs, since: new Date(start).toISOString() };
    for (const [id, item] of this.byId) if (timeOf(item) < start) this.byId.delete(id);
  }

  inWindow(item) {
    const at = timeOf(item);
    if (this.window.start !== null && at < this.window.start) return false;
    // inclusive, as the API; a live window has no end yet
    if (!this.window.live && this.window.end !== null && at > this.window.end) return false;
    return true;
  }

  /** Incidents still highlighted now (their ids); expired ones are forgotten. */
  freshIds(nowMs = Date.now()) {
    for (const [id, until] of this.fresh) if (until <= nowMs || !this.byId.has(id)) this.fresh.delete(id);
    return [...this.fresh.keys()];
  }

  setCategories(categories) {
    this.categories = new Set(categories);
    this.refresh();
  }

  setStates(states) {
    this.states = new Set(states);
    this.refresh();
  }

  /** Replay: show only what was observed up to `atMs` (null: everything loaded). */
  setReplayAt(atMs) {
    this.replayAt = atMs;
    this.refresh();
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  /**
   * Recompute the matching set (a few ms at 100,000) and its cluster index, then tell the
   * listeners. Indexing costs ~0.5 s per 100,000 incidents on a slow machine, so a live update
   * to a large set re-indexes at most once every LIVE_REINDEX_MS: counts are exact at once,
   * the map catches up within seconds without stuttering on each event.
   */
  refresh({ live = false } = {}) {
    this.matching = [];
    const bySeverity = [0, 0, 0, 0, 0, 0];
    const cutoff = this.replayAt;
    for (const item of this.byId.values()) {
      if (!this.categories.has(item.category) || !this.states.has(item.state || "reported")) continue;
      if (cutoff !== null && timeOf(item) > cutoff) continue;
      this.matching.push(item);
      bySeverity[Math.max(0, Math.min(5, item.severity || 0))] += 1;
    }
    this.bySeverity = bySeverity;
    clearTimeout(this.reindexTimer);
    this.reindexTimer = null;
    const elapsed = performance.now() - this.indexedAt;
    if (!live || this.matching.length < LARGE || elapsed > LIVE_REINDEX_MS) {
      this.reindex();
    } else {
      this.reindexTimer = setTimeout(() => this.reindex(), LIVE_REINDEX_MS - elapsed);
      for (const listener of this.listeners) listener(this);
    }
  }

  reindex() {
    this.reindexTimer = null;
    // incidents the sources could not place count, but have no point on the map
    this.indexed = this.matching.filter((item) => item.lon !== null && item.lat !== null);
    const started = performance.now();
    this.index = buildIndex(this.indexed);
    this.indexMs = performance.now() - started;
    this.indexedAt = performance.now();
    for (const listener of this.listeners) listener(this);
  }
}

/**
 * A supercluster index of the incidents: clusters carry the highest severity inside them
 * (a cluster hiding one severity-5 violation must not look like routine).
 */
function buildIndex(items) {
  const features = new Array(items.length);
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    features[i] = {
      type: "Feature",
      geometry: { type: "Point", coordinates: [item.lon, item.lat] },
      properties: { i, severity: Math.max(0, Math.min(5, item.severity || 0)) },
    };
  }
  const index = new window.Supercluster({
    radius: 64,
    maxZoom: 14,
    minPoints: 2,
    map: (props) => ({ severity: props.severity }),
    reduce: (acc, props) => {
      acc.severity = Math.max(acc.severity, props.severity);
    },
  });
  index.load(features);
  return index;
}
