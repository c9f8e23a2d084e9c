// The console talks to pingpostd's own APIs (/admin/, /public/) with the token kept in this
// browser tab's session storage only (gone when the tab closes; never in a cookie or the URL).

const KEY = 'pingpost.token';
export const session = {
  token: () => sessionStorage.getItem(KEY),
  me: null,  // GET /admin/whoami: {name, role, campaigns, may_change, account, ...}
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); session.me = null; },
  canChange() { return !!(session.me && session.me.may_change); },
  isAdmin() { return !!(session.me && session.me.role === 'admin'); },
  // A token limited to some campaigns: account-wide pages are not for it.
  limited() { return !!(session.me && session.me.campaigns.length); },
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.details = body && body.details && typeof body.details === 'object' ? body.details : null;
    this.body = body;
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

// api('GET', '/admin/campaigns', {query: {archived: 1}}) -> {data, etag, status}
export async function api(method, path, { query, body, etag, token } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { Authorization: 'Bearer ' + (token || session.token()) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (etag) headers['If-Match'] = etag;
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { message: 'The server cannot be reached: ' + e.message });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (res.status === 401 && !token) { onUnauthenticated(); }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, etag: res.headers.get('ETag'), status: res.status };
}

// The token's campaign list as a query value (limited tokens must name their campaigns).
export function scopeQuery() {
  return session.limited() ? session.me.campaigns.join(',') : undefined;
}
