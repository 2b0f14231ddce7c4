'use strict'
// The standalone archive as an operator uses it (issue 12): unpacked into an empty folder, `bin/herald start` runs
// Herald on the embedded default and says where to go (URL, console URL, admin password and keys and where they are
// kept), `status` reports the URL and readiness, `stop` stops it cleanly (no PostgreSQL left behind), and a plugin
// jar dropped into plugins/ is loaded on the next start, which prints the same keys. The log holds Herald's own lines
// but no third-party INFO unless HERALD_LOG_LIBRARY_LEVEL asks for it. A start on a busy port fails within seconds
// and names the cause (issue 19).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const net = require('node:net')
const path = require('node:path')
const { execFile } = require('node:child_process')
const h = require('../lib/harness')
const { pluginJar } = require('../lib/plugin-jars')

const target = path.join(__dirname, '..', '..', 'dist', 'standalone', 'target')

function run(cmd, args, env, ms = 150000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: ms }, (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }))
  })
}

function pgrep(pattern) {
  return new Promise((resolve) => execFile('pgrep', ['-f', pattern], (err, out) => resolve(err ? '' : out.trim())))
}

/** Unpacks the built archive into a fresh folder (removed after the test); returns the folder. */
async function unpack(t, env) {
  const archive = fs.readdirSync(target).find((f) => /^herald-.*\.tar\.gz$/.test(f))
  assert.ok(archive, 'dist/standalone/target/herald-*.tar.gz not found; build first (mvn -B -q install -DskipTests)')
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-archive-'))
  t.after(async () => {
    await run(path.join(home, 'bin', 'herald'), ['stop'], env)
    fs.rmSync(home, { recursive: true, force: true })
  })
  const untar = await run('tar', ['xzf', path.join(target, archive), '-C', home, '--strip-components=1'], process.env)
  assert.equal(untar.code, 0, untar.stderr)
  return home
}

/** The environment of an operator's shell: no HERALD_* of the test run, Herald on `port`, any free database port. */
function operatorEnv(port) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')))
  return Object.assign(env, { HERALD_HTTP_PORT: String(port), HERALD_DB_EMBEDDED_PORT: '0' })
}

/** Lines of third-party libraries at INFO (zonky's initdb/postgres output, Debezium, Kafka Connect, Flyway, Hikari). */
const LIBRARY_INFO = /\] INFO (EmbeddedPostgres|AsyncEmbeddedEngine|BaseSourceTask|AbstractConfig|FlywayExecutor|DbMigrate|HikariDataSource) - /

test('bin/herald start / status / stop on the embedded default; a dropped-in plugin loads on the next start', async (t) => {
  const port = await h.freePort()
  const env = operatorEnv(port)
  const home = await unpack(t, env)
  for (const p of ['bin/herald', 'conf/herald.properties', 'lib/herald.jar', 'plugins']) assert.ok(fs.existsSync(path.join(home, p)), p)
  const bin = path.join(home, 'bin', 'herald')
  const url = `http://127.0.0.1:${port}`
  const dataDir = path.join(home, 'data')

  const started = await run(bin, ['start'], env)
  assert.equal(started.code, 0, started.stdout + started.stderr)
  assert.match(started.stdout, new RegExp(`^Herald listening on ${url.replace(/\./g, '\\.')} `, 'm'))
  assert.match(started.stdout, new RegExp(`^Admin console: ${url.replace(/\./g, '\\.')}/admin/`, 'm'), 'the console URL')
  const password = fs.readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim()
  assert.ok(started.stdout.includes(`password ${password} (generated, stored in ${path.join(dataDir, 'admin-password')}`),
    `the generated admin password and where it is kept:\n${started.stdout}`)
  assert.ok(started.stdout.includes(`stored in ${path.join(dataDir, 'jwt-keys')}`), `where the keys are kept:\n${started.stdout}`)
  const keys = started.stdout.match(/^anon key: (\S+)\nservice_role key: (\S+)$/m)
  assert.ok(keys, started.stdout)
  const ready = await h.fetchT(`${url}/health/ready`)
  assert.equal(ready.status, 200)
  assert.equal((await ready.json()).cdc, 'running', 'the embedded PostgreSQL feeds change capture')
  const status = await run(bin, ['status'], env)
  assert.equal(status.code, 0, status.stdout + status.stderr)
  assert.match(status.stdout, new RegExp(`^herald is running \\(pid \\d+\\) at ${url.replace(/\./g, '\\.')}/$`, 'm'))
  assert.match(status.stdout, /^ready: \{.*"status":"UP".*\}$/m)
  assert.equal((await run(bin, ['start'], env)).stdout.trim().startsWith('herald is already running'), true)

  const stopped = await run(bin, ['stop'], env)
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.match(stopped.stdout, /herald stopped/)
  const stoppedStatus = await run(bin, ['status'], env)
  assert.equal(stoppedStatus.code, 3)
  assert.match(stoppedStatus.stdout, /herald is not running/)
  assert.equal(await pgrep(path.join(home, 'data', 'postgres')), '', 'no PostgreSQL left running')
  const quietLog = fs.readFileSync(path.join(home, 'logs', 'herald.log'), 'utf8')
  assert.match(quietLog, /Herald listening on/)
  assert.match(quietLog, /INFO PluginHost - plugin voice \S+ found/, "Herald's own INFO lines stay")
  assert.doesNotMatch(quietLog, LIBRARY_INFO, 'no third-party INFO by default')
  assert.doesNotMatch(quietLog, /^\s+(bootstrap\.servers|slot\.name) = /m, 'no Debezium/Kafka configuration dumps')

  // Drop the example plugin into plugins/ and start again: it is loaded and answers.
  const jar = pluginJar('notes')
  fs.copyFileSync(jar, path.join(home, 'plugins', path.basename(jar)))
  // This start also turns the libraries' INFO lines on with the documented switch.
  const logLength = fs.statSync(path.join(home, 'logs', 'herald.log')).size
  const again = await run(bin, ['start'], { ...env, HERALD_LOG_LIBRARY_LEVEL: 'info' })
  assert.equal(again.code, 0, again.stdout + again.stderr)
  const anon = again.stdout.match(/^anon key: (\S+)/m)[1]
  assert.equal(anon, keys[1], 'the second start prints the same anon key')
  assert.equal(again.stdout.match(/^service_role key: (\S+)/m)[1], keys[2], 'the second start prints the same service_role key')
  const who = await h.fetchT(`http://127.0.0.1:${port}/plugins/notes/whoami`, { headers: { apikey: anon } })
  assert.equal(who.status, 200)
  assert.deepEqual(await who.json(), { role: 'anon', sub: '' })
  const verboseLog = fs.readFileSync(path.join(home, 'logs', 'herald.log'), 'utf8').slice(logLength)
  assert.match(verboseLog, /plugin notes \S+ found/)
  assert.match(verboseLog, LIBRARY_INFO, 'HERALD_LOG_LIBRARY_LEVEL=info shows the libraries\' INFO lines')
  assert.equal((await run(bin, ['stop'], env)).code, 0)
  assert.equal(await pgrep(path.join(home, 'data', 'postgres')), '')
})

test('bin/herald start on a busy port exits non-zero within seconds and prints the cause', async (t) => {
  const port = await h.freePort()
  const env = operatorEnv(port)
  const home = await unpack(t, env)
  const blocker = net.createServer()
  await new Promise((resolve, reject) => blocker.once('error', reject).listen(port, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => blocker.close(resolve)))

  const began = Date.now()
  const failed = await run(path.join(home, 'bin', 'herald'), ['start'], env, 60000)
  const elapsedMs = Date.now() - began
  console.log(`# busy-port start failed after ${elapsedMs} ms`)
  assert.notEqual(failed.code, 0, failed.stdout + failed.stderr)
  assert.match(failed.stderr.split('\n')[0], new RegExp(`^herald: cannot listen on 127\\.0\\.0\\.1:${port}: Address already in use`),
    `the cause, first:\n${failed.stderr}`)
  assert.ok(failed.stderr.split('\n').length <= 6, `the cause, not the shutdown log:\n${failed.stderr}`)
  assert.ok(elapsedMs < 6000, `failed after ${elapsedMs} ms`)
  assert.equal(fs.existsSync(path.join(home, 'data', 'postgres')), false, 'no database started for a server that cannot listen')
  assert.equal((await run(path.join(home, 'bin', 'herald'), ['status'], env)).code, 3)
})
