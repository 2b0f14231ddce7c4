// The admin API client: a session token from POST /admin/api/login, kept for this browser tab only.
const BASE = new URL('api/', document.baseURI)
const KEY = 'herald.admin.token'

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`)
    this.status = status
    this.body = body || {}
  }
}

export function token() {
  return sessionStorage.getItem(KEY)
}

export async function login(password) {
  const res = await fetch(new URL('login', BASE), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new ApiError(res.status, body)
  sessionStorage.setItem(KEY, body.token)
}

export async function logout() {
  try { await call('POST', 'logout') } catch { /* the session ends here either way */ }
  sessionStorage.removeItem(KEY)
}

export async function call(method, path, body) {
  const headers = { authorization: `Bearer ${token() || ''}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(new URL(path, BASE), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const json = res.status === 204 ? {} : await res.json().catch(() => ({}))
  if (res.status === 401) {
    sessionStorage.removeItem(KEY)
    throw new Unauthorized(json.message || 'unauthorized')
  }
  if (!res.ok) throw new ApiError(res.status, json)
  return json
}

export const get = (path) => call('GET', path)
