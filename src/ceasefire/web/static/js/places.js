// Place names from the shipped gazetteer (/api/geo/places: GeoNames settlements of 5,000 or
// more, largest first). At each zoom only places above a population threshold are named
// (cities at the theatre's scale, towns and villages closer in), largest first, and a name
// that would overlap one already placed is skipped: the map stays readable at every zoom.

const L = window.L;
/** zoom → smallest population named (zooms in between take the next lower entry). */
const MIN_POPULATION = [
  [0, 1_000_000],
  [6, 300_000],
  [7, 60_000],
  [8, 20_000],
  [9, 8_000],
  [10, 5_000],
];
const MAX_LABELS = 120;
const CHAR_PX = 6.4;
const LINE_PX = 14;

function threshold(zoom) {
  let min = MIN_POPULATION[0][1];
  for (const [z, population] of MIN_POPULATION) if (zoom >= z) min = population;
  return min;
}

export class PlaceLabels {
  /**
   * @param {L.Map} map
   * @param {string} pane the pane the labels are drawn in (above the incidents)
   */
  constructor(map, pane) {
    this.map = map;
    this.pane = pane;
    this.places = [];
    this.layer = L.layerGroup();
  }

  /** @param {{features: {geometry: {coordinates: number[]}, properties: {name: string, population: number}}[]}} collection */
  load(collection) {
    this.places = collection.features.map((f) => ({
      name: f.properties.name,
      population: f.properties.population,
      latlng: L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]),
    }));
    this.render();
  }

  render() {
    this.layer.clearLayers();
    if (!this.map.hasLayer(this.layer)) return;
    const bounds = this.map.getBounds();
    const min = threshold(this.map.getZoom());
    const placed = [];
    for (const place of this.places) {
      if (place.population < min || placed.length >= MAX_LABELS) break; // largest first
      if (!bounds.contains(place.latlng)) continue;
      const p = this.map.latLngToContainerPoint(place.latlng);
      const box = { x0: p.x - 3, y0: p.y - LINE_PX / 2, x1: p.x + 6 + place.name.length * CHAR_PX, y1: p.y + LINE_PX / 2 };
      if (placed.some((b) => b.x0 < box.x1 && box.x0 < b.x1 && b.y0 < box.y1 && box.y0 < b.y1)) continue;
      placed.push(box);
      const big = place.population >= 300_000 ? " big" : "";
      const icon = L.divIcon({ className: `cf-place${big}`, html: "", iconSize: [6, 6], iconAnchor: [3, 3] });
      const marker = L.marker(place.latlng, { icon, pane: this.pane, interactive: false, keyboard: false });
      // the name as text, never HTML
      marker.on("add", () => {
        const label = document.createElement("span");
        label.textContent = place.name;
        marker.getElement().append(label);
      });
      this.layer.addLayer(marker);
    }
    this.map.getContainer().dataset.places = String(placed.length);
  }
}
