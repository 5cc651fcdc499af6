// Incident → APP-6(D) / MIL-STD-2525D symbol, drawn by milsymbol (global `ms`).
//
// Monitors observe; they do not attribute. So no symbol here says whose fire it was: every
// incident has an Unknown (or, while a single witness reports it, Pending) standard identity,
// and the icon says *what* happened (symbol set 40 "Activities/Events" for fire and
// consequences, land equipment / land unit / air / sea surface for what was seen). The
// verification state is shown by the identity (pending → unknown), the frame's status
// (dashed = disputed) and an outline colour. docs/hq-web.md has the same table for humans.
//
// 20-digit SIDC: version 10 · context 0 (reality) · identity · symbol set (2) · status ·
// HQ/TF/dummy 0 · amplifier 00 · entity (6) · modifier 1 (2) · modifier 2 (2).

/** Category → [symbol set, entity] (APP-6(D) codes; the closest entity, see hq-web.md). */
export const CATEGORY_SYMBOL = {
  explosion: ["40", "110600"], // Activities · Incident · Explosion
  projectile_in_flight: ["40", "110605"], // Explosion · Rocket (a round seen in flight)
  muzzle_flash: ["40", "110400"], // Incident · Shooting
  illumination_flare: ["40", "140200"], // Fire event · Smoke (nothing closer: a flare is light, not fire)
  burst_of_fire: ["40", "110400"], // Incident · Shooting
  shots: ["40", "110400"], // Incident · Shooting
  heavy_weapon: ["15", "110000"], // Land equipment · Weapon (refined by weapon class below)
  armour: ["15", "120101"], // Land equipment · Armoured fighting vehicle
  troop_movement: ["10", "121100"], // Land unit · Infantry
  aircraft: ["01", "110100"], // Air · Military fixed wing
  uav: ["01", "110300"], // Air · Unmanned aerial vehicle
  vessel: ["30", "110000"], // Sea surface · Military
  mine: ["40", "150115"], // Hazardous materials · Unexploded ordnance
  civilian_casualty: ["11", "110900"], // Land civilian · Composite loss (killed and wounded)
  infrastructure_damage: ["20", "120000"], // Land installation · Infrastructure (status: damaged)
  movement_restriction: ["40", "130100"], // Operation · Patrolling (the monitors' patrol stopped)
  sensor_impeded: ["15", "220100"], // Land equipment · Sensor (status: damaged)
  attack_on_monitors: ["10", "121200"], // Land unit · Observer (the target; status: damaged)
  attack_on_force: ["10", "180400"], // Land unit · Multinational (the target; status: damaged)
  other: ["40", "110000"], // Activities · Incident
};

/** Weapon class → land-equipment entity, for `heavy_weapon` sightings. */
export const WEAPON_EQUIPMENT = {
  small_arms: "110100", // Rifle
  light_weapon: "110200", // Machine gun
  mortar: "111400", // Mortar
  mortar_120: "111400",
  artillery_lt_100: "110900", // Howitzer
  artillery_ge_100: "110900",
  tank: "120200", // Tank
  apc_ifv: "120103", // Armoured personnel carrier
  mlrs: "111600", // Multiple rocket launcher
  heavy_mlrs: "111600",
  tactical_missile: "111300", // Surface-to-surface missile launcher
  air_defence: "110500", // Air defence gun
};

/** Weapon class → explosion entity, for `explosion` incidents whose weapon is known. */
export const WEAPON_EXPLOSION = {
  mortar: "110604", // Explosion · Mortar fire
  mortar_120: "110604",
  mlrs: "110605", // Explosion · Rocket
  heavy_mlrs: "110605",
  tactical_missile: "110605",
  combat_aircraft: "110606", // Explosion · Bomb
  attack_uav: "110606",
};

/** Categories whose symbol shows the status "damaged": the symbol is what was hit. */
export const DAMAGED = new Set([
  "infrastructure_damage",
  "sensor_impeded",
  "attack_on_monitors",
  "attack_on_force",
]);

/** Verification state → identity digit, status digit (null: the category's) and outline. */
export const STATE_STYLE = {
  reported: { identity: "0", status: null, outline: null, label: "Pending (one witness)" },
  corroborated: { identity: "1", status: null, outline: "#d97706", label: "Unknown, corroborated" },
  verified: { identity: "1", status: null, outline: "#15803d", label: "Unknown, verified" },
  disputed: { identity: "1", status: "1", outline: "#7c3aed", label: "Unknown, disputed (dashed)" },
  rejected: { identity: "1", status: "1", outline: "#6b7280", label: "Rejected (grey)" },
};

/** Severity (1–4, from the rules) → colour of clusters and of the canvas dot. */
export const SEVERITY_COLOUR = ["#64748b", "#ca8a04", "#ea580c", "#dc2626", "#991b1b"];

/**
 * The 20-digit SIDC of an incident.
 * @param {{category: string, weapon_class?: string|null, state: string}} incident
 * @returns {string}
 */
export function sidcOf(incident) {
  const [symbolSet, categoryEntity] = CATEGORY_SYMBOL[incident.category] ?? CATEGORY_SYMBOL.other;
  let entity = categoryEntity;
  const weapon = incident.weapon_class ?? "";
  if (incident.category === "heavy_weapon" && WEAPON_EQUIPMENT[weapon]) {
    entity = WEAPON_EQUIPMENT[weapon];
  } else if (incident.category === "explosion" && WEAPON_EXPLOSION[weapon]) {
    entity = WEAPON_EXPLOSION[weapon];
  }
  const style = STATE_STYLE[incident.state] ?? STATE_STYLE.reported;
  const status = style.status ?? (DAMAGED.has(incident.category) ? "3" : "0");
  return `100${style.identity}${symbolSet}${status}000${entity}0000`;
}

const iconCache = new Map();

/**
 * A Leaflet icon for the incident, built once per (SIDC, state) and reused: milsymbol draws
 * an SVG in ~0.1 ms, but 2,000 markers redrawn on every pan add up, and an identical data URL
 * lets the browser decode each image once.
 * @param {object} incident
 * @param {number} [sizePx]
 */
export function iconFor(incident, sizePx = 22) {
  const sidc = sidcOf(incident);
  const key = `${sidc}|${incident.state}|${sizePx}`;
  let icon = iconCache.get(key);
  if (icon === undefined) {
    icon = buildIcon(sidc, incident.state, sizePx);
    iconCache.set(key, icon);
  }
  return icon;
}

function buildIcon(sidc, state, sizePx) {
  const style = STATE_STYLE[state] ?? STATE_STYLE.reported;
  const options = { size: sizePx, standard: "APP6" };
  if (style.outline) {
    options.outlineColor = style.outline;
    options.outlineWidth = 3;
  }
  if (state === "rejected") {
    options.monoColor = "#6b7280";
  }
  const symbol = new window.ms.Symbol(sidc, options);
  const anchor = symbol.getAnchor();
  const size = symbol.getSize();
  return window.L.icon({
    iconUrl: symbol.toDataURL(),
    iconSize: [size.width, size.height],
    iconAnchor: [anchor.x, anchor.y],
    className: `cf-symbol cf-state-${state}`,
  });
}

/** Number of distinct icons built so far (the cache is per SIDC and state). */
export function cachedIconCount() {
  return iconCache.size;
}
