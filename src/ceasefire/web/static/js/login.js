// The login form: POST /api/session with JSON; the server sets the session cookie and returns
// the CSRF token, which the COP sends back on every unsafe request.

import { api, ApiError, CSRF_KEY } from "./api.js";

const form = document.getElementById("login-form");
const message = document.getElementById("login-message");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const next = new URLSearchParams(window.location.search).get("next");
    const result = await api("/api/session", {
      method: "POST",
      params: { next },
      body: { name: form.elements.name.value, password: form.elements.password.value },
    });
    sessionStorage.setItem(CSRF_KEY, result.csrf);
    // the server decides where to go (safe_next): a path of this site or "/", never another
    // site (an open redirect would hand the session to it)
    window.location.assign(result.next || "/");
  } catch (error) {
    message.textContent = error instanceof ApiError && error.status === 401 ? "wrong name or password" : `login failed: ${error.message}`;
    button.disabled = false;
  }
});
