'use strict'
// The one place the e2e suites (and the voice bench) find built plugin jars: `pluginJar(id)` returns the jar Maven
// built for plugin `id`, and `pluginsFolder(...ids)` prepares a plugins folder (HERALD_PLUGINS_DIR) holding those
// jars, as an operator would.
//
// A plugin's jar is plugins/<module>/target/herald-plugin-<id>-<version>.jar; the module folder is usually the id
// (plugins/voice → herald-plugin-voice-…), but the example plugin `notes` lives in plugins/testplugin. Only the jar
// Herald loads counts: not the `original-…` jar the shade plugin leaves behind, nor -sources/-javadoc/-tests jars.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const REPO_ROOT = path.resolve(__dirname, '..', '..')
const PLUGINS_ROOT = path.join(REPO_ROOT, 'plugins')
const BUILD_COMMAND = 'mvn -B -q install -DskipTests'

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The absolute path of the built jar of plugin `id`; throws, naming the build command, when there is not exactly one. */
function pluginJar(id) {
  // The version starts with a digit, so id `rest` would not match herald-plugin-rest-support-….
  const name = new RegExp(`^herald-plugin-${escapeRegExp(id)}-\\d.*\\.jar$`)
  const found = []
  const modules = fs.existsSync(PLUGINS_ROOT) ? fs.readdirSync(PLUGINS_ROOT).sort() : []
  for (const module of modules) {
    const target = path.join(PLUGINS_ROOT, module, 'target')
    if (!fs.existsSync(target)) continue
    for (const f of fs.readdirSync(target).sort()) {
      if (name.test(f) && !/-(sources|javadoc|tests)\.jar$/.test(f)) found.push(path.join(target, f))
    }
  }
  const pattern = `plugins/*/target/herald-plugin-${id}-<version>.jar`
  if (found.length === 0) {
    throw new Error(`plugin '${id}' is not built: no ${pattern}; build the plugins first with \`${BUILD_COMMAND}\` ` +
      'from the repository root')
  }
  if (found.length > 1) {
    const list = found.map((f) => path.relative(REPO_ROOT, f)).join(', ')
    throw new Error(`more than one built jar of plugin '${id}' (${list}); remove the stale ones and rebuild with ` +
      `\`mvn -B -q clean install -DskipTests\` from the repository root`)
  }
  return found[0]
}

/**
 * A fresh temporary plugins folder holding the jars of `ids` (each found by `pluginJar`), to pass as
 * HERALD_PLUGINS_DIR; the ids may be given one by one or as arrays. Returns `{ dir, jars, remove }`: `jars` maps each
 * id to its copied jar, `remove()` deletes the folder. Pass `{ prefix }` as the last argument to name the folder.
 */
function pluginsFolder(...args) {
  const last = args[args.length - 1]
  const opts = last && typeof last === 'object' && !Array.isArray(last) ? args.pop() : {}
  const ids = args.flat()
  if (ids.length === 0) throw new Error('pluginsFolder: no plugin id given')
  const sources = ids.map((id) => [id, pluginJar(id)]) // all found before anything is created
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix || 'herald-plugins-'))
  const jars = {}
  for (const [id, jar] of sources) {
    jars[id] = path.join(dir, path.basename(jar))
    fs.copyFileSync(jar, jars[id])
  }
  return { dir, jars, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

module.exports = { pluginJar, pluginsFolder, BUILD_COMMAND }
