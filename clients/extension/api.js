// The blindcopy API as the extension uses it: settings from chrome.storage, bearer token,
// JSON or RFC 9457 problem answers. No build step: a plain ES module.

const SETTINGS_KEYS = ["server", "token"];

export async function loadSettings() {
  const stored = await chrome.storage.local.get(SETTINGS_KEYS);
  return { server: stored.server || "", token: stored.token || "" };
}

export async function saveSettings(server, token) {
  await chrome.storage.local.set({ server: normaliseServer(server), token: token.trim() });
}

export function normaliseServer(server) {
  return server.trim().replace(/\/+$/, "");
}

// An error the page can show as it is: a sentence, and the HTTP status when there was one.
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// The answer's JSON (a result or a problem document); null when it is empty or not JSON,
// e.g. a proxy's HTML error page.
async function parsed(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

// Send a request to the configured server; return the parsed JSON answer or throw ApiError.
export async function call(path, { method = "GET", body, contentType } = {}) {
  const { server, token } = await loadSettings();
  if (!server || !token) {
    throw new ApiError("Set the server URL and your token in the options first.");
  }
  const headers = { Authorization: `Bearer ${token}` };
  if (contentType) headers["Content-Type"] = contentType;
  let response;
  try {
    response = await fetch(server + path, { method, headers, body });
  } catch {
    throw new ApiError(
      `Could not reach ${server}. Check the server URL, and that the server's ` +
      `BLINDCOPY_CORS_ORIGINS lists ${location.origin}.`);
  }
  const answer = await parsed(response);
  if (!response.ok) {
    const detail = answer && answer.detail ? answer.detail : response.statusText;
    const fields = answer && answer.errors
      ? " " + answer.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : "";
    throw new ApiError(`${response.status} ${detail}${fields}`, response.status);
  }
  return answer;
}

// GET /v1/lookup for up to 50 addresses.
export function lookUp(addresses) {
  const query = addresses.slice(0, 50)
    .map((address) => "address=" + encodeURIComponent(address)).join("&");
  return call("/v1/lookup?" + query);
}

// POST /v1/log with the raw message (a string or the bytes of an .eml file).
export function logMessage(raw) {
  return call("/v1/log", { method: "POST", body: raw, contentType: "message/rfc822" });
}
