// The one way the page talks to the API: same origin, JSON or text, problem+json errors, and the
// caller's API key (kept in sessionStorage only, sent as X-API-Key) on every request.

const KEY_STORAGE = "rightsgraph.apiKey";

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function apiUrl(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(name, v);
  }
  return url;
}

/** GET path with params; `as` is "json", "text" or "blob". Throws ApiError on a non-2xx. */
export async function api(path, { params = {}, as = "json", accept, signal } = {}) {
  const headers = { Accept: accept || (as === "json" ? "application/json" : "*/*") };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(apiUrl(path, params), { headers, signal });
  if (!response.ok) {
    let problem;
    try {
      problem = await response.json();
    } catch {
      problem = { title: response.statusText, detail: `HTTP ${response.status}` };
    }
    throw new ApiError(response.status, problem);
  }
  if (as === "blob") return response.blob();
  if (as === "text") return response.text();
  return response.json();
}

/** A path segment: ids may hold any character. */
export const seg = (id) => encodeURIComponent(id);

/** A JSON request with a body (POST by default); the answer's JSON (or a Blob with
 * `as: "blob"`), or null for 204. */
export async function apiSend(path, body, { method = "POST", signal, as = "json" } = {}) {
  const headers = { Accept: as === "json" ? "application/json" : "*/*", "Content-Type": "application/json" };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(apiUrl(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (!response.ok) {
    let problem;
    try {
      problem = await response.json();
    } catch {
      problem = { title: response.statusText, detail: `HTTP ${response.status}` };
    }
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return null;
  return as === "blob" ? response.blob() : response.json();
}
