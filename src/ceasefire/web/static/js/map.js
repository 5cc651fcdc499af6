// The Leaflet map: base layers from the API's GeoJSON (no tile server: the HQ runs offline),
// place names, and the incident layer. Only what is in view is drawn: supercluster answers
// clusters and single points for the view's box at the current zoom, clusters become count
// bubbles, single points become APP-6 symbols (icons cached per SIDC in symbols.js).
//
// Panes, bottom to top: countries and oblasts (250), zone fills (350, with their tooltips),
// canvas dots (450), place names (590: an incident is never hidden by a name), incidents
// (markerPane, 600), zone outlines and the contact line (620, not clickable: the line must
// never hide under a cluster, nor a cluster's click under the line), live arrivals (640),
// the selection (645), tooltips (650).

import { api } from "./api.js";
import { FRESH_MS } from "./incidents.js";
import { PlaceLabels } from "./places.js";
import { iconFor, SEVERITY_COLOUR, severityOf } from "./symbols.js";

const L = window.L;

// /api/geo/zones holds three layers (property `layer`): zones by `kind`, party areas, storage
// sites. Party areas are a faint neutral tint: the map names areas, it does not take sides.
const ZONE_STYLE = {
  buffer: { color: "#b45309", weight: 1, fillColor: "#f59e0b", fillOpacity: 0.06, dashArray: "4 4" },
  area: { color: "#7c2d12", weight: 2, fillColor: "#ea580c", fillOpacity: 0.25 },
};
const LAYER_STYLE = {
  party_area: { color: "#64748b", weight: 0, fillColor: "#94a3b8", fillOpacity: 0.05 },
  storage_site: { color: "#0f766e", weight: 2, fillColor: "#14b8a6", fillOpacity: 0.6 },
};
const DEFAULT_ZONE_STYLE = { color: "#475569", weight: 1, fillOpacity: 0.1 };
/** The land's fill: the background every incident colour is chosen against (symbols.js). */
export const LAND = "#f8fafc";
/** [pane, z-index, clickable] (see the top of this file). */
const PANES = [
  ["cf-base", 250, false],
  ["cf-zone-fills", 350, true],
  ["cf-dots", 450, true],
  ["cf-lines", 620, false],
  ["cf-places", 590, false],
  ["cf-fresh", 640, false],
  ["cf-selected", 645, false],
];

function zoneStyle(feature) {
  const p = feature.properties || {};
  return LAYER_STYLE[p.layer] || ZONE_STYLE[p.kind] || DEFAULT_ZONE_STYLE;
}

/** Above this many single points in view, draw them as canvas dots, not symbols. */
const MAX_SYMBOLS = 1500;

export class CopMap {
  /**
   * @param {HTMLElement} element
   * @param {import("./incidents.js").IncidentStore} store
   * @param {(incident: object) => void} onSelect
   */
  constructor(element, store, onSelect) {
    this.store = store;
    this.onSelect = onSelect;
    this.map = L.map(element, { preferCanvas: true, zoomControl: true, worldCopyJump: false });
    this.map.setView([48.3, 35.5], 6);
    for (const [name, z, clickable] of PANES) {
      const pane = this.map.createPane(name);
      pane.style.zIndex = String(z);
      if (!clickable) pane.style.pointerEvents = "none";
    }
    this.dots = L.canvas({ padding: 0.2, pane: "cf-dots" });
    this.incidentLayer = L.layerGroup().addTo(this.map);
    this.freshLayer = L.layerGroup().addTo(this.map);
    this.selection = L.layerGroup().addTo(this.map);
    this.places = new PlaceLabels(this.map, "cf-places");
    this.overlays = {};
    this.layersControl = L.control.layers(null, {}, { collapsed: true }).addTo(this.map);
    L.control.scale({ imperial: false }).addTo(this.map);
    this.map.on("moveend", () => {
      this.render();
      this.places.render();
    });
    // a live update may change counts only (re-indexing is throttled): redraw on a new index
    store.onChange(() => {
      if (store.index !== this.renderedIndex) this.render();
      this.renderFresh();
    });
  }

  /** Countries, oblasts, the zones, the contact line and place names; a missing layer is
   * only logged. Zones come twice: fills below the incidents (with tooltips), outlines above. */
  async loadBaseLayers() {
    const specs = [
      ["Countries", "/api/geo/countries"],
      ["Oblasts", "/api/geo/oblasts"],
      ["Zones", "/api/geo/zones"],
      ["Contact line", "/api/geo/line"],
      ["Place names", "/api/geo/places"],
    ];
    const results = await Promise.allSettled(specs.map(([, path]) => api(path)));
    const data = {};
    results.forEach((result, i) => {
      if (result.status === "fulfilled") data[specs[i][0]] = result.value;
      else console.warn(`base layer ${specs[i][0]} not loaded`, result.reason);
    });
    const add = (name, layer) => {
      layer.addTo(this.map);
      this.overlays[name] = layer;
      this.layersControl.addOverlay(layer, name);
    };
    if (data.Countries) {
      add("Countries", L.geoJSON(data.Countries, { pane: "cf-base", interactive: false, style: { color: "#94a3b8", weight: 1, fillColor: LAND, fillOpacity: 1 } }));
    }
    if (data.Oblasts) {
      add("Oblasts", L.geoJSON(data.Oblasts, { pane: "cf-base", interactive: false, style: { color: "#cbd5e1", weight: 0.8, fill: false } }));
    }
    if (data.Zones) {
      const fills = L.geoJSON(data.Zones, {
        pane: "cf-zone-fills",
        style: (f) => ({ ...zoneStyle(f), weight: 0 }),
        onEachFeature: bindZoneTooltip,
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, { pane: "cf-zone-fills", radius: 4, ...zoneStyle(feature) }),
      });
      const outlines = L.geoJSON(data.Zones, {
        pane: "cf-lines",
        interactive: false,
        style: (f) => ({ ...zoneStyle(f), fill: false }),
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, { pane: "cf-lines", radius: 4, ...zoneStyle(feature), fill: false }),
      });
      add("Zones", L.layerGroup([fills, outlines]));
    }
    if (data["Contact line"]) {
      add("Contact line", L.geoJSON(data["Contact line"], { pane: "cf-lines", interactive: false, style: { color: "#b91c1c", weight: 2.5 } }));
    }
    if (data["Place names"]) {
      add("Place names", this.places.layer);
      this.places.load(data["Place names"]);
    }
    const line = this.overlays["Contact line"];
    if (line && line.getBounds().isValid()) this.map.fitBounds(line.getBounds(), { padding: [20, 20] });
  }

  /** Draw the clusters and points in view. */
  render() {
    const started = performance.now();
    const index = this.store.index;
    this.renderedIndex = index;
    this.incidentLayer.clearLayers();
    if (!index) return;
    const bounds = this.map.getBounds();
    const bbox = [
      Math.max(-180, bounds.getWest()),
      Math.max(-85, bounds.getSouth()),
      Math.min(180, bounds.getEast()),
      Math.min(85, bounds.getNorth()),
    ];
    const zoom = Math.round(this.map.getZoom());
    const features = index.getClusters(bbox, zoom);
    const singles = features.filter((f) => !f.properties.cluster).length;
    const asDots = singles > MAX_SYMBOLS;
    for (const feature of features) {
      const [lon, lat] = feature.geometry.coordinates;
      if (feature.properties.cluster) {
        this.incidentLayer.addLayer(this.clusterMarker(feature, lat, lon));
        continue;
      }
      const incident = this.store.indexed[feature.properties.i];
      const marker = asDots
        ? L.circleMarker([lat, lon], {
            renderer: this.dots,
            radius: 3,
            weight: 0,
            fillOpacity: 0.8,
            fillColor: SEVERITY_COLOUR[severityOf(incident)],
          })
        : L.marker([lat, lon], { icon: iconFor(incident), keyboard: false, title: describe(incident) });
      marker.on("click", () => this.onSelect(incident));
      this.incidentLayer.addLayer(marker);
    }
    // exposed for the browser tests and for whoever profiles the COP
    this.map.getContainer().dataset.renderMs = (performance.now() - started).toFixed(1);
    this.map.getContainer().dataset.drawn = String(features.length);
  }

  clusterMarker(feature, lat, lon) {
    const count = feature.properties.point_count;
    const size = count < 100 ? 30 : count < 1000 ? 38 : 46;
    const severity = feature.properties.severity || 0;
    const colour = SEVERITY_COLOUR[severity];
    const icon = L.divIcon({
      html: `<span style="background:${colour}">${feature.properties.point_count_abbreviated}</span>`,
      className: `cf-cluster cf-severity-${severity}`,
      iconSize: [size, size],
    });
    const marker = L.marker([lat, lon], { icon, keyboard: false });
    marker.on("click", () => {
      const zoom = this.store.index.getClusterExpansionZoom(feature.properties.cluster_id);
      this.map.setView([lat, lon], Math.min(zoom, 18));
    });
    return marker;
  }

  /** Live arrivals still fresh: a pulsing ring each, above clusters and symbols, so an
   * arrival inside a cluster is seen too; gone after FRESH_MS (redrawn on the next change). */
  renderFresh() {
    this.freshLayer.clearLayers();
    const ids = this.store.freshIds();
    for (const id of ids) {
      const incident = this.store.byId.get(id);
      if (!incident || incident.lat === null || incident.lon === null) continue;
      const icon = L.divIcon({ className: "cf-fresh", iconSize: [64, 64], html: "<i></i>" });
      const marker = L.marker([incident.lat, incident.lon], { icon, pane: "cf-fresh", interactive: false, keyboard: false });
      marker.on("add", () => marker.getElement().setAttribute("data-incident-id", id));
      this.freshLayer.addLayer(marker);
    }
    this.map.getContainer().dataset.fresh = String(this.freshLayer.getLayers().length);
    clearTimeout(this.freshTimer);
    if (ids.length) this.freshTimer = setTimeout(() => this.renderFresh(), FRESH_MS / 2);
  }

  /** Mark the selected incident (a ring at its position) and where it may be: its
   * uncertainty ellipse or circle. */
  showSelection(detail) {
    this.selection.clearLayers();
    if (!detail || detail.lat === null || detail.lon === null) return;
    const style = { pane: "cf-selected", color: "#1d4ed8", weight: 2, fillOpacity: 0.08, interactive: false };
    const ellipse = detail.ellipse;
    if (ellipse && ellipse.semi_major_m > 0) {
      this.selection.addLayer(L.polygon(ellipsePoints(detail.lat, detail.lon, ellipse), style));
    } else if (detail.uncertainty_m) {
      this.selection.addLayer(L.circle([detail.lat, detail.lon], { ...style, radius: detail.uncertainty_m }));
    }
    const icon = L.divIcon({ className: "cf-selected", iconSize: [52, 52], html: "" });
    const ring = L.marker([detail.lat, detail.lon], { icon, pane: "cf-selected", interactive: false, keyboard: false });
    ring.on("add", () => ring.getElement().setAttribute("data-incident-id", String(detail.id)));
    this.selection.addLayer(ring);
  }
}

/** A symbol's tooltip: what, how grave, how sure. */
function describe(incident) {
  const severity = severityOf(incident);
  const rules = (incident.rules || []).join(", ");
  const grave = severity ? `severity ${severity} (${rules})` : "no rule broken";
  return `${incident.category.replaceAll("_", " ")} · ${grave} · ${incident.state}`;
}

function bindZoneTooltip(feature, layer) {
  const p = feature.properties || {};
  let text;
  if (p.layer === "party_area") text = `area of ${p.party}`;
  else if (p.layer === "storage_site") text = `storage site: ${p.name} (${p.party}, ${p.radius_m} m)`;
  else {
    const weapons = (p.weapon_classes || []).join(", ");
    const from = p.in_force_from ? `, from ${String(p.in_force_from).slice(0, 10)}` : "";
    text = `${p.id} (${p.kind}${from})${weapons ? ` ${weapons}` : ""}`;
  }
  // text, not HTML: names come from agreement files
  layer.bindTooltip(() => document.createTextNode(text), { sticky: true });
}

/** Ellipse vertices; angle_deg is the major axis' bearing, degrees clockwise from north. */
function ellipsePoints(lat, lon, ellipse) {
  const mPerDegLat = 111320;
  const mPerDegLon = 111320 * Math.cos((lat * Math.PI) / 180);
  const theta = ((ellipse.angle_deg || 0) * Math.PI) / 180;
  const points = [];
  for (let k = 0; k < 48; k += 1) {
    const t = (2 * Math.PI * k) / 48;
    const a = ellipse.semi_major_m * Math.cos(t);
    const b = ellipse.semi_minor_m * Math.sin(t);
    const east = a * Math.sin(theta) + b * Math.cos(theta);
    const north = a * Math.cos(theta) - b * Math.sin(theta);
    points.push([lat + north / mPerDegLat, lon + east / mPerDegLon]);
  }
  return points;
}
