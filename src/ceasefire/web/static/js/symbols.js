// Incident → APP-6(D) / MIL-STD-2525D symbol, drawn by milsymbol (global `ms`).
//
// Monitors observe; they do not attribute. So no symbol here says whose fire it was: every
// incident has an Unknown (or, while a single witness reports it, Pending) standard identity,
// and the icon says *what* happened (symbol set 40 "Activities/Events" for fire and
// consequences, land equipment / land unit / air / sea surface for what was seen). The
// fill is the severity of the gravest rule the incident broke (grey: none); the verification
// state is a modifier: the identity (pending → unknown), the frame's status (dashed =
// disputed or rejected) and a letter beside the frame. docs/hq-web.md has the tables.
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

/**
 * Verification state → identity digit, status digit (null: the category's), and the text
 * modifier milsymbol writes beside the frame (APP-6 field H, "additional information"):
 * pending identity says "one witness", the letter says what the analysts decided.
 */
export const STATE_STYLE = {
  reported: { identity: "0", status: null, mark: "", label: "Pending (one witness)" },
  corroborated: { identity: "1", status: null, mark: "C", label: "Unknown, corroborated (C)" },
  verified: { identity: "1", status: null, mark: "V", label: "Unknown, verified (V)" },
  disputed: { identity: "1", status: "1", mark: "D", label: "Unknown, disputed (dashed, D)" },
  rejected: { identity: "1", status: "1", mark: "X", label: "Rejected (grey, dashed, X)" },
};

/**
 * Severity → colour of symbols, clusters and dots. 0 is "no rule broken"; 1–5 are the
 * gravest rule's severity (agreement rules, 5 = grave: the nuclear-plant exclusion zone,
 * attacks on monitors). 1–5 are inferno samples (0.6, 0.5, 0.4, 0.3, 0.2): lightness falls
 * steadily with severity, so the order reads without telling hues apart (colour-blind safe),
 * and each has a contrast of 3:1 or more against both base-map colours (land #f8fafc, sea
 * #dbeafe): 3.2 (severity 1, on the sea) to 13.6 (severity 5, on land).
 */
export const SEVERITY_COLOUR = ["#64748b", "#dd513a", "#bc3754", "#932667", "#6a176e", "#420a68"];
export const SEVERITY_LABEL = ["no rule broken", "1 minor", "2", "3", "4", "5 grave"];

/** The severity level (0–5) of an incident: its gravest rule's, 0 when it broke none. */
export function severityOf(incident) {
  const value = Number(incident.severity || 0);
  return Math.max(0, Math.min(5, Number.isFinite(value) ? value : 0));
}

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
 * A Leaflet icon for the incident, built once per (SIDC, state, severity, size) and reused:
 * milsymbol draws an SVG in ~0.1 ms, but 2,000 markers redrawn on every pan add up, and an
 * identical data URL lets the browser decode each image once.
 * @param {object} incident
 * @param {number} [sizePx]
 */
export function iconFor(incident, sizePx = 28) {
  const sidc = sidcOf(incident);
  const severity = severityOf(incident);
  const key = `${sidc}|${incident.state}|${severity}|${sizePx}`;
  let icon = iconCache.get(key);
  if (icon === undefined) {
    icon = buildIcon(sidc, incident.state, severity, sizePx);
    iconCache.set(key, icon);
  }
  return icon;
}

/** milsymbol takes the icon's colour per standard identity (a ColorMode-like object). */
const WHITE_ICON = { Civilian: "#ffffff", Friend: "#ffffff", Hostile: "#ffffff", Neutral: "#ffffff", Unknown: "#ffffff", Suspect: "#ffffff" };

/** The milsymbol symbol of an incident (the legend draws its samples with it too). */
export function symbolOf(sidc, state, severity, sizePx) {
  const style = STATE_STYLE[state] ?? STATE_STYLE.reported;
  const options = {
    size: sizePx,
    standard: "APP6",
    fillColor: SEVERITY_COLOUR[severity],
    fillOpacity: 1,
    // the icon inside the frame in white: black on the darker severities does not read
    iconColor: WHITE_ICON,
    // a white halo keeps the frame readable over lines, zones and other symbols
    outlineColor: "#ffffff",
    outlineWidth: 2,
    infoSize: 60,
    infoColor: "#0f172a",
  };
  if (style.mark) options.additionalInformation = style.mark;
  // a rejected incident is drawn in grey lines only: nothing left to weigh
  if (state === "rejected") options.monoColor = "#6b7280";
  return new window.ms.Symbol(sidc, options);
}

function buildIcon(sidc, state, severity, sizePx) {
  const symbol = symbolOf(sidc, state, severity, sizePx);
  const anchor = symbol.getAnchor();
  const size = symbol.getSize();
  return window.L.icon({
    iconUrl: symbol.toDataURL(),
    iconSize: [size.width, size.height],
    iconAnchor: [anchor.x, anchor.y],
    className: `cf-symbol cf-state-${state} cf-severity-${severity}`,
  });
}

/** Number of distinct icons built so far (the cache is per SIDC, state and severity). */
export function cachedIconCount() {
  return iconCache.size;
}
