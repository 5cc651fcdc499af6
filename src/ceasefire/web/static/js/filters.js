// The filter bar: time window (sent to the server: a span ending at the newest data or at a
// chosen time, or a custom range), categories and states (applied here).
// Every control has a data-testid so the browser tests drive what a user drives.

import { h } from "./dom.js";
import { CATEGORY_GROUPS, STATES } from "./incidents.js";

/**
 * Build the filter controls into `element`.
 * @param {HTMLElement} element
 * @param {{onTime: (time: object) => void, onCategories: (c: string[]) => void, onStates: (s: string[]) => void}} handlers
 * @returns {{time: object}} the initial time filter
 */
export function buildFilters(element, handlers) {
  const time = { span: "7d", anchor: "newest", asOf: "", customSince: "", customUntil: "" };
  const since = h("input", { type: "datetime-local", "data-testid": "filter-since", "aria-label": "since (UTC)" });
  const until = h("input", { type: "datetime-local", "data-testid": "filter-until", "aria-label": "until (UTC)" });
  const custom = h(
    "span",
    { class: "custom", hidden: true },
    h("label", null, "from (UTC) ", since),
    h("label", null, "to (UTC) ", until),
    h("button", { type: "button", "data-testid": "filter-apply", onclick: () => apply() }, "apply"),
  );
  const select = h(
    "select",
    { "data-testid": "filter-time", "aria-label": "time window", onchange: () => changed() },
    h("option", { value: "24h" }, "last 24 h"),
    h("option", { value: "7d", selected: true }, "last 7 days"),
    h("option", { value: "30d" }, "last 30 days"),
    h("option", { value: "custom" }, "custom range (UTC)"),
  );
  // where a span ends: the newest incident you are shown, or a time you choose
  const asOf = h("input", { type: "datetime-local", "data-testid": "filter-asof", "aria-label": "as of (UTC)" });
  const asOfBox = h(
    "span",
    { class: "custom", hidden: true },
    asOf,
    h("button", { type: "button", "data-testid": "filter-asof-apply", onclick: () => apply() }, "apply"),
  );
  const anchor = h(
    "select",
    { "data-testid": "filter-anchor", "aria-label": "window ends", onchange: () => changed() },
    h("option", { value: "newest", selected: true }, "ending at the newest data"),
    h("option", { value: "asof" }, "ending at a time (UTC)…"),
  );
  const anchorBox = h("span", { class: "anchor" }, anchor, asOfBox);

  function changed() {
    time.span = select.value;
    time.anchor = anchor.value;
    custom.hidden = time.span !== "custom";
    anchorBox.hidden = time.span === "custom";
    asOfBox.hidden = time.anchor !== "asof";
    if (time.span === "custom" || (time.anchor === "asof" && !asOf.value)) return; // wait for apply
    if (time.anchor === "asof") time.asOf = `${asOf.value}Z`;
    handlers.onTime({ ...time });
  }
  function apply() {
    // datetime-local has no zone: the COP works in UTC, as the mission's reports do
    time.customSince = since.value ? `${since.value}Z` : "";
    time.customUntil = until.value ? `${until.value}Z` : "";
    time.asOf = asOf.value ? `${asOf.value}Z` : "";
    handlers.onTime({ ...time });
  }

  const categoryBoxes = [];
  const groups = Object.entries(CATEGORY_GROUPS).map(([label, categories]) =>
    h(
      "fieldset",
      null,
      h("legend", null, label),
      categories.map((category) => {
        const box = h("input", { type: "checkbox", value: category, checked: true, "data-testid": `filter-category-${category}`, onchange: () => handlers.onCategories(checked(categoryBoxes)) });
        categoryBoxes.push(box);
        return h("label", null, box, category.replaceAll("_", " "));
      }),
    ),
  );
  const stateBoxes = [];
  const states = h(
    "fieldset",
    null,
    h("legend", null, "Verification"),
    STATES.map((state) => {
      const box = h("input", { type: "checkbox", value: state, checked: true, "data-testid": `filter-state-${state}`, onchange: () => handlers.onStates(checked(stateBoxes)) });
      stateBoxes.push(box);
      return h("label", null, box, state);
    }),
  );
  const allOrNone = (on) => {
    for (const box of categoryBoxes) box.checked = on;
    handlers.onCategories(checked(categoryBoxes));
  };
  element.replaceChildren(
    h("div", { class: "time" }, select, anchorBox, custom),
    h("details", { "data-testid": "filter-categories" }, h("summary", null, "Categories"),
      h("button", { type: "button", "data-testid": "filter-category-all", onclick: () => allOrNone(true) }, "all"),
      h("button", { type: "button", "data-testid": "filter-category-none", onclick: () => allOrNone(false) }, "none"),
      groups),
    h("details", { "data-testid": "filter-states" }, h("summary", null, "Verification"), states),
  );
  return { time: { ...time } };
}

function checked(boxes) {
  return boxes.filter((box) => box.checked).map((box) => box.value);
}
