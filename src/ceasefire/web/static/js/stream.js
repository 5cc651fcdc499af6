// Live updates: the API's Server-Sent Events. The session cookie goes with the request (same
// origin); EventSource reconnects by itself, and the page re-fetches its window on reconnect
// so nothing sent while it was away is missed.

/**
 * @param {{onIncident: (item: object) => void, onRemoved: (item: {id: number}) => void, onAlert: (alert: object) => void, onReconnect: () => void, onStatus: (s: string) => void}} handlers
 * @returns {EventSource}
 */
export function connectStream(handlers) {
  const source = new EventSource("/api/stream");
  let opened = false;
  source.addEventListener("open", () => {
    handlers.onStatus("live");
    if (opened) handlers.onReconnect();
    opened = true;
  });
  source.addEventListener("error", () => handlers.onStatus("reconnecting"));
  source.addEventListener("incident", (event) => handlers.onIncident(JSON.parse(event.data)));
  source.addEventListener("removed", (event) => handlers.onRemoved(JSON.parse(event.data)));
  source.addEventListener("alert", (event) => handlers.onAlert(JSON.parse(event.data)));
  return source;
}
