// The window as it is: its explicit start and end (UTC), what anchors it, and a slider to
// replay it: drag or play, and the map shows only what had been observed by then (a day of
// 24 h plays in REPLAY_S seconds). The slider at its right end shows everything.

import { h } from "./dom.js";

const REPLAY_S = 24;
const FRAME_MS = 200;

/** `Date` ms → `2026-12-07 14:02Z` (UTC, minutes). */
export function utcMinutes(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "open";
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + "Z";
}

export class TimeBar {
  /**
   * @param {HTMLElement} element
   * @param {(atMs: number|null) => void} onReplay
   */
  constructor(element, onReplay) {
    this.onReplay = onReplay;
    this.window = null;
    this.timer = null;
    this.emitted = null; // the last time handed to onReplay (ms or null)
    this.range = h("p", { class: "range", "data-testid": "window-range" });
    this.anchor = h("p", { class: "muted anchor-note", "data-testid": "window-anchor" });
    this.slider = h("input", {
      type: "range",
      min: 0,
      max: 1,
      step: 1,
      value: 1,
      "data-testid": "replay",
      "aria-label": "replay: show what was observed up to",
      oninput: () => this.moved(),
    });
    this.play = h("button", { type: "button", "data-testid": "replay-play", onclick: () => this.toggle() }, "▶ replay");
    this.at = h("span", { class: "muted", "data-testid": "replay-at" }, "all");
    element.replaceChildren(this.range, this.anchor, h("div", { class: "replay" }, this.play, this.slider), this.at);
  }

  /** Show a (new or moved) window; the slider keeps its place unless it was at the end. */
  show(window) {
    const atEnd = this.slider.value === this.slider.max;
    this.window = window;
    const { start, end } = window;
    this.range.textContent = `${utcMinutes(start)} → ${utcMinutes(end)}`;
    this.range.dataset.start = start === null ? "" : new Date(start).toISOString();
    this.range.dataset.end = end === null ? "" : new Date(end).toISOString();
    this.anchor.textContent = window.live
      ? "ends at the newest incident you are shown; moves with live arrivals"
      : window.spanMs
        ? "ends at the time you chose"
        : "the range you typed";
    const usable = Number.isFinite(start) && Number.isFinite(end) && end > start;
    this.slider.disabled = !usable;
    this.play.disabled = !usable;
    if (!usable) {
      this.stop();
      this.at.textContent = "replay needs a window with a start and an end";
      return;
    }
    const minutes = Math.ceil((end - start) / 60000);
    this.slider.max = String(minutes);
    if (atEnd || Number(this.slider.value) > minutes) this.slider.value = String(minutes);
    this.moved();
  }

  /** The time the slider points at, or null at its right end (everything). */
  value() {
    if (!this.window || this.slider.disabled) return null;
    if (this.slider.value === this.slider.max) return null;
    return this.window.start + Number(this.slider.value) * 60000;
  }

  moved() {
    const at = this.value();
    this.at.textContent = at === null ? "showing the whole window" : `showing what was observed up to ${utcMinutes(at)}`;
    this.at.dataset.at = at === null ? "" : new Date(at).toISOString();
    // a new window with the slider at its end changes nothing: no second re-index
    if (at === this.emitted) return;
    this.emitted = at;
    this.onReplay(at);
  }

  toggle() {
    if (this.timer !== null) {
      this.stop();
      return;
    }
    if (this.slider.value === this.slider.max) this.slider.value = "0";
    const max = Number(this.slider.max);
    // one day in REPLAY_S seconds; a week plays 7 times as long
    const perFrame = Math.max(1, Math.round((24 * 60 * FRAME_MS) / (REPLAY_S * 1000)));
    this.play.textContent = "❚❚ pause";
    this.timer = setInterval(() => {
      const next = Math.min(max, Number(this.slider.value) + perFrame);
      this.slider.value = String(next);
      this.moved();
      if (next >= max) this.stop();
    }, FRAME_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = "▶ replay";
  }
}
