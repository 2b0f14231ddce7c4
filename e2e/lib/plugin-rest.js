'use strict'
// A small REST caller for the plugin suites (15-plugin-tables, 24-comments, 25-analytics): one call to a plugin's
// REST API with an optional token, answering { status, json, text }. Defines no tests.

const h = require('./harness')

/**
 * One REST call to the server of `ctx`. `body` is sent as JSON unless `raw` (a string sent as is) is given.
 * Returns { status, json, text }.
 */
async function rest(ctx, method, p, { tok, body, raw } = {}) {
  const headers = {}
  if (tok) headers.authorization = `Bearer ${tok}`
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
  const res = await h.fetchT(`${ctx.server.httpUrl}${p}`, {
    method,
    headers,
    body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
  }, 15000)
  const text = await res.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: res.status, json, text }
}

module.exports = { rest }
