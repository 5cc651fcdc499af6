// A tiny element builder: text goes in as text nodes, never as HTML (report descriptions and
// source names come from outside and must not inject markup).

/**
 * @param {string} tag
 * @param {object|null} [attrs] attributes; `dataset` and `on<event>` handled
 * @param {...(Node|string|number|null|undefined|Array)} children
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** `2026-12-30T04:12:00Z` → `2026-12-30 04:12Z` (UTC, as the mission reports it). */
export function formatTime(iso) {
  if (!iso) return "—";
  return String(iso).replace("T", " ").replace(/:\d\d(\.\d+)?(Z|\+00:00)$/, "Z");
}

/** A word this long (a source name, an id) may break anywhere, so it cannot widen a table. */
const LONG_WORD = /\S{15,}/;

/** A table from rows of cells; header cells first. */
export function table(headers, rows) {
  const cell = (value) => h("td", { class: LONG_WORD.test(String(value ?? "")) ? "long" : null }, value);
  return h(
    "table",
    null,
    h("thead", null, h("tr", null, headers.map((header) => h("th", null, header)))),
    h("tbody", null, rows.map((row) => h("tr", null, row.map(cell)))),
  );
}
