// The HQ API as the page uses it: the session cookie authenticates, and every unsafe method
// carries the CSRF token the login returned (kept in sessionStorage, so it dies with the tab).
// Contract: docs/hq-api.md.

export const CSRF_KEY = "cf_csrf";

/** An API error: the contract's {"error": {code, field, rule, message}} with the status. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || null;
    this.field = error.field || null;
    this.rule = error.rule || null;
  }
}

/**
 * Call the API; JSON in, JSON out. A 401 sends the user to the login page (the session
 * expired or was revoked), everything else non-2xx throws an ApiError.
 * @param {string} path
 * @param {{method?: string, body?: object, params?: object, signal?: AbortSignal}} [options]
 */
export async function api(path, options = {}) {
  const method = options.method || "GET";
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(options.params || {})) {
    if (value !== null && value !== undefined && value !== "") {
      url.searchParams.set(key, String(value));
    }
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") {
    headers["X-CSRF-Token"] = sessionStorage.getItem(CSRF_KEY) || "";
  }
  let body;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(url, {
    method,
    headers,
    body,
    credentials: "same-origin",
    signal: options.signal,
  });
  if (response.status === 401 && !path.startsWith("/api/session")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    throw new ApiError(401, null);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, data);
  }
  return data;
}

/** Path of one incident: ids are `source/id` strings, so they are escaped whole. */
export function incidentPath(id, suffix = "") {
  return `/api/incidents/${encodeURIComponent(String(id))}${suffix}`;
}

/**
 * Every incident matching the query, page by page (the API caps a page at 5,000).
 * @param {object} params since, until, bbox, category, state, rule
 * @param {(loaded: number) => void} [onPage] progress callback
 * @param {AbortSignal} [signal]
 */
export async function fetchAllIncidents(params, onPage, signal) {
  const items = [];
  let cursor = null;
  do {
    const page = await api("/api/incidents", {
      params: { ...params, limit: 5000, cursor },
      signal,
    });
    for (const item of page.items) items.push(item);
    cursor = page.next_cursor;
    if (onPage) onPage(items.length);
  } while (cursor);
  return items;
}
