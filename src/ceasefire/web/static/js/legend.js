// The map's legend, in the side bar (the map stays unobstructed): what the colours, the
// symbols' marks and the lines mean, with the count of shown incidents per severity kept
// current (live arrivals, filters, replay): the gravest part of the picture is also counted.

import { h } from "./dom.js";
import { unitSidc } from "./force.js";
import { SEVERITY_COLOUR, SEVERITY_LABEL, sidcOf, STATE_STYLE, symbolOf } from "./symbols.js";

export class Legend {
  /** @param {HTMLElement} element */
  constructor(element) {
    this.counts = [];
    element.replaceChildren(this.build());
  }

  build() {
    const severities = SEVERITY_COLOUR.map((colour, level) => {
      const count = h("b", { class: "count", "data-testid": `legend-count-${level}` }, "0");
      this.counts.push(count);
      return h(
        "li",
        { "data-severity": String(level) },
        h("i", { class: "swatch", style: `background:${colour}` }),
        level === 0 ? SEVERITY_LABEL[0] : `severity ${SEVERITY_LABEL[level]}`,
        " ",
        count,
      );
    });
    const states = Object.entries(STATE_STYLE).map(([state, style]) => {
      // the sample: shots, with no rule broken
      const image = h("img", { src: symbolOf(sidcOf({ category: "shots", state }), state, 0, 20).toDataURL(), alt: "" });
      return h("li", null, image, ` ${state}`, style.mark ? ` (${style.mark})` : "");
    });
    return h(
      "details",
      { class: "cf-legend", open: true, "data-testid": "legend" },
      h("summary", null, "Legend"),
      h("h4", null, "Gravest rule broken (symbol fill; a cluster: its gravest)"),
      h("ul", null, severities),
      h("h4", null, "Verification (frame and mark)"),
      h("ul", { class: "states" }, states),
      h("h4", null, "Map"),
      h(
        "ul",
        null,
        h("li", null, h("i", { class: "line", style: "background:#b91c1c" }), "contact line"),
        h("li", null, h("i", { class: "zone" }), "zone (agreement)"),
        h("li", null, h("i", { class: "ring fresh" }), "new (live, a few seconds)"),
        h("li", null, h("i", { class: "ring selected" }), "selected incident"),
        h("li", null, h("i", { class: "place" }), "place (GeoNames)"),
      ),
      h("h4", null, "Multinational Force (plan, month of the window's end)"),
      h(
        "ul",
        { class: "states" },
        h("li", null, h("img", { src: new window.ms.Symbol(unitSidc("mech_infantry_battalion"), { size: 14, standard: "APP6" }).toDataURL(), alt: "" }), " a unit on tour (friendly)"),
        h("li", null, h("i", { class: "ring gap" }), "coverage gap (units missing)"),
      ),
    );
  }

  /** @param {number[]} bySeverity shown incidents per level 0–5 */
  update(bySeverity) {
    bySeverity.forEach((n, level) => {
      if (this.counts[level]) this.counts[level].textContent = String(n);
    });
  }
}
