'use strict'
// The standalone archive as an operator uses it (issue 12): unpacked into an empty folder, `bin/herald start` runs
// Herald on the embedded default, `status` reports it, `stop` stops it cleanly (no PostgreSQL left behind), and a
// plugin jar dropped into plugins/ is loaded on the next start.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const h = require('./harness')

const target = path.join(__dirname, '..', '..', 'dist', 'standalone', 'target')

function run(cmd, args, env, ms = 150000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: ms }, (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }))
  })
}

function pgrep(pattern) {
  return new Promise((resolve) => execFile('pgrep', ['-f', pattern], (err, out) => resolve(err ? '' : out.trim())))
}

test('bin/herald start / status / stop on the embedded default; a dropped-in plugin loads on the next start', async (t) => {
  const archive = fs.readdirSync(target).find((f) => /^herald-.*\.tar\.gz$/.test(f))
  assert.ok(archive, 'dist/standalone/target/herald-*.tar.gz not found; build first (mvn -B -q install -DskipTests)')
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-archive-'))
  t.after(async () => {
    await run(path.join(home, 'bin', 'herald'), ['stop'], env)
    fs.rmSync(home, { recursive: true, force: true })
  })
  const untar = await run('tar', ['xzf', path.join(target, archive), '-C', home, '--strip-components=1'], process.env)
  assert.equal(untar.code, 0, untar.stderr)
  for (const p of ['bin/herald', 'conf/herald.properties', 'lib/herald.jar', 'plugins']) assert.ok(fs.existsSync(path.join(home, p)), p)

  const port = await h.freePort()
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')))
  Object.assign(env, { HERALD_HTTP_PORT: String(port), HERALD_DB_EMBEDDED_PORT: '0' })
  const bin = path.join(home, 'bin', 'herald')

  const started = await run(bin, ['start'], env)
  assert.equal(started.code, 0, started.stdout + started.stderr)
  assert.match(started.stdout, new RegExp(`^Herald listening on http://127\\.0\\.0\\.1:${port} `, 'm'))
  assert.match(started.stdout, /^anon key: \S+/m)
  const ready = await h.fetchT(`http://127.0.0.1:${port}/health/ready`)
  assert.equal(ready.status, 200)
  assert.equal((await ready.json()).cdc, 'running', 'the embedded PostgreSQL feeds change capture')
  assert.match((await run(bin, ['status'], env)).stdout, /herald is running \(pid \d+\)/)
  assert.equal((await run(bin, ['start'], env)).stdout.trim().startsWith('herald is already running'), true)

  const stopped = await run(bin, ['stop'], env)
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.match(stopped.stdout, /herald stopped/)
  const status = await run(bin, ['status'], env)
  assert.equal(status.code, 3)
  assert.equal(await pgrep(path.join(home, 'data', 'postgres')), '', 'no PostgreSQL left running')
  assert.match(fs.readFileSync(path.join(home, 'logs', 'herald.log'), 'utf8'), /Herald listening on/)

  // Drop the example plugin into plugins/ and start again: it is loaded and answers.
  const pluginTarget = path.join(__dirname, '..', '..', 'plugins', 'testplugin', 'target')
  const jar = fs.readdirSync(pluginTarget).find((f) => /^herald-plugin-notes-.*\.jar$/.test(f))
  fs.copyFileSync(path.join(pluginTarget, jar), path.join(home, 'plugins', jar))
  const again = await run(bin, ['start'], env)
  assert.equal(again.code, 0, again.stdout + again.stderr)
  const anon = again.stdout.match(/^anon key: (\S+)/m)[1]
  const who = await h.fetchT(`http://127.0.0.1:${port}/plugins/notes/whoami`, { headers: { apikey: anon } })
  assert.equal(who.status, 200)
  assert.deepEqual(await who.json(), { role: 'anon', sub: '' })
  assert.match(fs.readFileSync(path.join(home, 'logs', 'herald.log'), 'utf8'), /plugin notes \S+ found/)
  assert.equal((await run(bin, ['stop'], env)).code, 0)
  assert.equal(await pgrep(path.join(home, 'data', 'postgres')), '')
})
