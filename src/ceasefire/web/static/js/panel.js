// The incident panel: everything /api/incidents/{id} says (reports with their Admiralty grades,
// zones, rules broken, state history, attribution), and the actions this user may take —
// exactly those the detail's `actions` lists, nothing guessed from roles on this side.

import { api, ApiError, incidentPath } from "./api.js";
import { formatTime, h, table } from "./dom.js";
import { STATE_STYLE } from "./symbols.js";

export class IncidentPanel {
  /**
   * @param {HTMLElement} element
   * @param {{parties: {id: string, name: string}[]}} agreement
   * @param {(detail: object) => void} onChanged an action changed the incident
   */
  constructor(element, agreement, onChanged) {
    this.element = element;
    this.agreement = agreement;
    this.onChanged = onChanged;
    this.detail = null;
  }

  close() {
    this.detail = null;
    this.element.hidden = true;
    this.element.replaceChildren();
  }

  /** Load and show one incident; returns the detail (or null when it is gone or hidden). */
  async open(id) {
    this.element.hidden = false;
    this.element.replaceChildren(h("p", { class: "muted" }, "loading…"));
    try {
      this.detail = await api(incidentPath(id));
    } catch (error) {
      this.element.replaceChildren(this.closeButton(), h("p", { class: "error" }, describe(error)));
      return null;
    }
    this.render();
    return this.detail;
  }

  render() {
    const d = this.detail;
    const style = STATE_STYLE[d.state] || STATE_STYLE.reported;
    // the API names the report list `members` (`reports` is the item's count of them)
    const members = d.members || (Array.isArray(d.reports) ? d.reports : []);
    this.element.dataset.incidentId = String(d.id);
    this.element.replaceChildren(
      this.closeButton(),
      h("h2", null, `${d.category.replaceAll("_", " ")}${d.weapon_class ? ` · ${d.weapon_class}` : ""}`),
      h("p", { class: "muted" }, `incident ${d.id}`),
      h(
        "dl",
        null,
        h("dt", null, "observed"), h("dd", null, formatTime(d.observed_at)),
        h("dt", null, "where"), h("dd", null, d.lat === null || d.lon === null ? "not located" : `${d.lat.toFixed(4)}, ${d.lon.toFixed(4)} ± ${Math.round(d.uncertainty_m || 0)} m`),
        h("dt", null, "state"), h("dd", { "data-testid": "panel-state" }, `${d.state} (${style.label})`),
        h("dt", null, "confidence"), h("dd", null, `${Math.round((d.confidence || 0) * 100)} %`),
        h("dt", null, "count"), h("dd", null, `${d.count_best} (${d.count_low}–${d.count_high})`),
        h("dt", null, "party area"), h("dd", null, d.party || "—"),
        d.partial ? [h("dt", null, "partial"), h("dd", null, "computed from the reports you may see")] : null,
      ),
      h("h3", null, `Reports (${members.length}${d.partial ? " you may see" : ""})`),
      table(
        ["source", "type", "grade", "observed", "what"],
        members.map((r) => [
          r.source,
          r.source_type,
          `${r.reliability}${r.credibility}`,
          formatTime(r.observed_at),
          `${r.category} ×${r.count}`,
        ]),
      ),
      h("h3", null, "Zones"),
      h("p", null, listOrNone(d.zones_inside), d.zones_possibly_inside && d.zones_possibly_inside.length ? ` (possibly: ${d.zones_possibly_inside.join(", ")})` : ""),
      h("h3", null, "Rules"),
      (d.violations || []).length
        ? table(
            ["rule", "article", "severity", "certainty", "zone"],
            d.violations.map((v) => [v.rule_id, v.article, v.severity, v.certainty, v.zone_id || "—"]),
          )
        : h("p", null, listOrNone(d.rules)),
      h("h3", null, "History"),
      table(["state", "by", "at", "note"], (d.history || []).map((s) => [s.tearline ? `${s.state} (on a tearline)` : s.state, s.by, formatTime(s.at), s.note || ""])),
      h("h3", null, "Attribution"),
      (d.attributions || []).length
        ? table(
            ["party", "basis", "confidence", "by", "decision"],
            d.attributions.map((a) => [a.party, a.basis, `${Math.round(a.confidence * 100)} %`, a.proposed_by, decisionText(a)]),
          )
        : h("p", { class: "muted" }, "none proposed"),
      this.actions(),
    );
  }

  closeButton() {
    return h("button", { class: "close", type: "button", "aria-label": "close", "data-testid": "panel-close", onclick: () => this.close() }, "×");
  }

  /** The action forms this user may use; none at all when `actions` is empty. */
  actions() {
    const allowed = new Set(this.detail.actions || []);
    const box = h("div", { class: "actions", "data-testid": "panel-actions" });
    const message = h("p", { class: "action-message", "data-testid": "action-message" });
    const decisions = ["verify", "dispute", "reject"].filter((a) => allowed.has(a));
    if (decisions.length) {
      const note = h("input", { type: "text", placeholder: "note (why)", "data-testid": "action-note" });
      box.append(
        // a reader of part of the incident decides on their own tearline (docs/hq-api.md)
        h("h3", null, this.detail.partial ? "Analyst decision on your tearline" : "Analyst decision"),
        note,
        ...decisions.map((action) =>
          h("button", { type: "button", "data-testid": `action-${action}`, onclick: () => this.act(incidentPath(this.detail.id, `${this.detail.partial ? "/tearline" : ""}/${action}`), { note: note.value }, message) }, action),
        ),
      );
    }
    const violations = this.detail.violations || [];
    if (allowed.has("propose") && violations.length) {
      const violation = h("select", { "data-testid": "propose-violation" }, violations.filter((v) => v.id !== null).map((v) => h("option", { value: v.id }, `${v.rule_id} (${v.id})`)));
      const party = h("select", { "data-testid": "propose-party" }, (this.agreement.parties || []).map((p) => h("option", { value: p.id }, p.name || p.id)));
      const basis = h("input", { type: "text", placeholder: "basis (evidence)", "data-testid": "propose-basis" });
      const confidence = h("input", { type: "number", min: 0, max: 1, step: 0.05, value: 0.5, "aria-label": "confidence (0–1)", "data-testid": "propose-confidence" });
      box.append(
        h("h3", null, "Propose attribution"),
        violation, party, confidence, basis,
        h("button", { type: "button", "data-testid": "action-propose", onclick: () => this.act(`/api/violations/${encodeURIComponent(violation.value)}/attribution`, { party: party.value, basis: basis.value, confidence: Number(confidence.value) }, message) }, "propose"),
      );
    }
    const pending = (this.detail.attributions || []).filter((a) => !a.decision);
    if (allowed.has("decide") && pending.length) {
      const note = h("input", { type: "text", placeholder: "decision note", "data-testid": "decide-note" });
      box.append(h("h3", null, "Commission decision"), note);
      for (const proposal of pending) {
        for (const decision of ["upheld", "rejected"]) {
          box.append(h("button", { type: "button", "data-testid": `decide-${decision}`, "data-attribution-id": proposal.id, onclick: () => this.act(`/api/attributions/${encodeURIComponent(proposal.id)}/decision`, { decision, note: note.value }, message) }, `${decision}: #${proposal.id} ${proposal.party}`));
        }
      }
    }
    if (!box.childElementCount) return null;
    box.append(message);
    return box;
  }

  async act(path, body, message) {
    message.textContent = "sending…";
    try {
      const result = await api(path, { method: "POST", body });
      // verify/dispute/reject return the detail; the others: reload it
      const detail = result && result.actions ? result : await api(incidentPath(this.detail.id));
      this.detail = detail;
      this.render();
      this.onChanged(detail);
    } catch (error) {
      message.textContent = describe(error);
      message.classList.add("error");
    }
  }
}

function listOrNone(items) {
  return items && items.length ? items.join(", ") : "none";
}

function decisionText(proposal) {
  if (!proposal.decision) return "pending";
  return `${proposal.decision}${proposal.decided_by ? ` by ${proposal.decided_by}` : ""}${proposal.note ? ` (${proposal.note})` : ""}`;
}

function describe(error) {
  if (error instanceof ApiError) {
    return `${error.status} ${error.code || ""}: ${error.message}${error.field ? ` (${error.field})` : ""}`;
  }
  return String(error);
}
