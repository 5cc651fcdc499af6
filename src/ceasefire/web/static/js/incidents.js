// The incidents the page holds, the filters over them, and the cluster index of the ones that
// match. Time windows go to the server (they bound what is fetched); category and state are
// filtered here, over the whole loaded set, so a click on a filter is instant even at 100,000
// incidents and `#incident-count` counts the dataset, not the map view.

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

/**
 * The time window of a filter, as ISO strings (`until` null = open, so live incidents count).
 * @param {{window: string, customSince?: string, customUntil?: string}} time
 * @param {number} nowMs
 */
export function timeWindow(time, nowMs) {
  if (time.window === "24h") return { since: new Date(nowMs - 24 * HOUR_MS).toISOString(), until: null };
  if (time.window === "7d") return { since: new Date(nowMs - 7 * 24 * HOUR_MS).toISOString(), until: null };
  if (time.window === "30d") return { since: new Date(nowMs - 30 * 24 * HOUR_MS).toISOString(), until: null };
  const since = time.customSince ? new Date(time.customSince).toISOString() : null;
  const until = time.customUntil ? new Date(time.customUntil).toISOString() : null;
  return { since, until };
}

export class IncidentStore {
  constructor() {
    /** @type {Map<string, object>} */
    this.byId = new Map();
    this.window = { since: null, until: null };
    this.categories = new Set(CATEGORIES);
    this.states = new Set(STATES);
    /** @type {object[]} incidents matching every filter (what `#incident-count` counts) */
    this.matching = [];
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
    this.refresh();
  }

  /** Drop incidents (fusion superseded them: the stream's `removed` event). */
  remove(ids) {
    for (const id of ids) this.byId.delete(String(id));
    this.refresh({ live: true });
  }

  /**
   * Add or change incidents that arrived live. An incident outside the time window, or one
   * fusion superseded, leaves the set. Returns how many were kept.
   */
  upsert(items) {
    let kept = 0;
    for (const item of items) {
      const id = String(item.id);
      if (item.superseded || item.state === "superseded" || !this.inWindow(item)) {
        this.byId.delete(id);
      } else {
        this.byId.set(id, item);
        kept += 1;
      }
    }
    this.refresh({ live: true });
    return kept;
  }

  inWindow(item) {
    const at = Date.parse(item.observed_at);
    if (this.window.since && at < Date.parse(this.window.since)) return false;
    if (this.window.until && at > Date.parse(this.window.until)) return false; // inclusive, as the API
    return true;
  }

  setCategories(categories) {
    this.categories = new Set(categories);
    this.refresh();
  }

  setStates(states) {
    this.states = new Set(states);
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
    for (const item of this.byId.values()) {
      if (this.categories.has(item.category) && this.states.has(item.state || "reported")) {
        this.matching.push(item);
      }
    }
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
 * (a cluster hiding one severity-4 violation must not look like routine).
 */
function buildIndex(items) {
  const features = new Array(items.length);
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    features[i] = {
      type: "Feature",
      geometry: { type: "Point", coordinates: [item.lon, item.lat] },
      properties: { i, severity: item.severity || 0 },
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
