// The Multinational Force layer: the force plan's units on tour in the planning month of the
// window's end (/api/force/deployed), as friendly APP-6 unit symbols at their areas, and the
// plan's coverage gaps there (a dashed red ring with the number of units missing). Units of
// one area stand in a ring around its anchor town, so none hides another.

import { api } from "./api.js";

const L = window.L;

/** Capability → [symbol set, entity, echelon, short label] (APP-6(D); closest entity). */
export const CAPABILITY_SYMBOL = {
  mech_infantry_battalion: ["10", "121102", "16", "MECH"], // Infantry · mechanized, battalion
  infantry_company: ["10", "121100", "15", "INF"], // Infantry, company
  engineer_company: ["10", "140700", "15", "ENG"], // Engineer, company
  demining_group: ["10", "140700", "14", "DEMIN"], // Engineer, platoon
  logistics_battalion: ["10", "160000", "16", "LOG"], // Sustainment, battalion
  role2_medical: ["10", "161300", "15", "ROLE2"], // Medical, company
  hq_staff: ["10", "110000", "00", "HQ"], // Command and control (HQ amplifier)
  training_team: ["10", "000000", "11", "TRG"], // a land unit, team (no training entity)
  monitoring_team: ["10", "121200", "11", "MON"], // Observer, team
  air_defence_battery: ["10", "130100", "15", "AD"], // Air defence, battery
  fighter_detachment: ["01", "110100", "00", "FTR"], // Air · military fixed wing
  tanker: ["01", "110100", "00", "TKR"],
  isr_aircraft: ["01", "110100", "00", "ISR"],
  isr_uav_unit: ["01", "110300", "00", "UAV"], // Air · unmanned aerial vehicle
  frigate: ["30", "110000", "00", "FFG"], // Sea surface · military
  mcm_vessel: ["30", "110000", "00", "MCM"],
};

/** The friendly (identity 3) SIDC of a unit of `capability`. */
export function unitSidc(capability) {
  const [symbolSet, entity, echelon] = CAPABILITY_SYMBOL[capability] ?? ["10", "000000", "00"];
  const hq = capability === "hq_staff" ? "2" : "0";
  return `1003${symbolSet}0${hq}${echelon}${entity}0000`;
}

export class ForceLayer {
  /**
   * @param {L.Map} map
   * @param {L.Control.Layers} layersControl
   */
  constructor(map, layersControl) {
    this.map = map;
    this.layer = L.layerGroup().addTo(map);
    layersControl.addOverlay(this.layer, "Multinational Force");
    this.month = null;
  }

  /** Show the plan's month of `atMs` (the window's end); a failure is only logged. */
  async load(atMs) {
    const at = Number.isFinite(atMs) ? new Date(atMs).toISOString() : null;
    let data;
    try {
      data = await api("/api/force/deployed", { params: { at } });
    } catch (error) {
      console.warn("force layer not loaded", error);
      return;
    }
    this.render(data);
  }

  render(data) {
    this.layer.clearLayers();
    this.month = data.month;
    const byArea = new Map();
    for (const unit of data.units) {
      if (unit.lon === null) continue;
      if (!byArea.has(unit.area)) byArea.set(unit.area, []);
      byArea.get(unit.area).push(unit);
    }
    for (const units of byArea.values()) {
      units.forEach((unit, k) => this.layer.addLayer(unitMarker(unit, k, units.length)));
    }
    const gapsByArea = new Map();
    for (const gap of data.gaps) {
      if (gap.lon === null) continue;
      if (!gapsByArea.has(gap.area)) gapsByArea.set(gap.area, []);
      gapsByArea.get(gap.area).push(gap);
    }
    for (const gaps of gapsByArea.values()) this.layer.addLayer(gapMarker(gaps));
    const container = this.map.getContainer();
    container.dataset.forceUnits = String(data.units.length);
    container.dataset.forceMonth = String(data.month);
  }
}

function unitMarker(unit, k, n) {
  const [, , , label] = CAPABILITY_SYMBOL[unit.capability] ?? [null, null, null, unit.capability];
  const symbol = new window.ms.Symbol(unitSidc(unit.capability), {
    size: 22,
    standard: "APP6",
    uniqueDesignation: unit.nation,
    additionalInformation: unit.units > 1 ? `${label} ×${unit.units}` : label,
    infoSize: 55,
    outlineColor: "#ffffff",
    outlineWidth: 2,
  });
  const anchor = symbol.getAnchor();
  const size = symbol.getSize();
  // units of one area on a ring around its town (pixels; the first at the town itself)
  const radius = k === 0 ? 0 : 30 + 6 * Math.floor((k - 1) / 8);
  const angle = (2 * Math.PI * (k - 1)) / Math.min(8, Math.max(1, n - 1));
  const icon = L.icon({
    iconUrl: symbol.toDataURL(),
    iconSize: [size.width, size.height],
    iconAnchor: [anchor.x - radius * Math.cos(angle), anchor.y - radius * Math.sin(angle)],
    className: `cf-unit cf-unit-${unit.capability}`,
  });
  const marker = L.marker([unit.lat, unit.lon], { icon, keyboard: false });
  const text = `${unit.nation} ${unit.capability.replaceAll("_", " ")} ×${unit.units} · ${unit.requirement} (${unit.task}) · ${unit.area_name}, until month ${unit.until_month}`;
  marker.bindTooltip(() => document.createTextNode(text));
  return marker;
}

function gapMarker(gaps) {
  const missing = gaps.reduce((n, gap) => n + gap.missing, 0);
  const icon = L.divIcon({ className: "cf-gap", iconSize: [64, 64], html: `<span>−${missing}</span>` });
  const marker = L.marker([gaps[0].lat, gaps[0].lon], { icon, keyboard: false });
  const text = gaps.map((g) => `${g.requirement}: ${g.missing} ${g.capability.replaceAll("_", " ")} missing (${g.reason})`).join("\n");
  marker.bindTooltip(() => {
    const box = document.createElement("div");
    box.style.whiteSpace = "pre-line";
    box.textContent = `coverage gaps in ${gaps[0].place}\n${text}`;
    return box;
  });
  return marker;
}
