'use strict'
// Helpers of the comments and analytics suites (24-comments, 25-analytics): a plugins folder holding built plugin
// jars, as an operator would prepare it, and a small REST caller. Defines no tests.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const h = require('./harness')

/** A temporary folder with the jars of `ids` (plugins/<id>/target/herald-plugin-<id>-*.jar); removed by `remove()`. */
function pluginsFolder(...ids) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-plugins-'))
  for (const id of ids) {
    const target = path.join(h.REPO_ROOT, 'plugins', id, 'target')
    const re = new RegExp(`^herald-plugin-${id}-.*\\.jar$`)
    const jar = fs.existsSync(target) && fs.readdirSync(target).find((f) => re.test(f) && !f.includes('sources') && !f.includes('tests'))
    if (!jar) throw new Error(`plugins/${id}/target/herald-plugin-${id}-*.jar not found; build first (mvn -B -q install -DskipTests)`)
    fs.copyFileSync(path.join(target, jar), path.join(dir, jar))
  }
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

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

module.exports = { pluginsFolder, rest }
