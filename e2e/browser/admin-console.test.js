'use strict'
// The admin console in headless chromium: log in, watch a channel appear and its rate chart move, change the
// events/s limit in the form and see it enforced on the next messages, disconnect a connection and see the client
// get it. Screenshots of the main views go to e2e/artifacts/screenshots/.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const h = require('../lib/harness')
const b = require('../lib/browser')
const { pluginJar } = require('../lib/plugin-jars')

const PASSWORD = 'browser-admin-password'
const PLUGIN_JAR = pluginJar('notes')
let browser = null
let page = null
let pluginDir = null
const pageErrors = []

const ctx = h.useServer(test, async () => {
  pluginDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-console-plugins-'))
  fs.copyFileSync(PLUGIN_JAR, path.join(pluginDir, path.basename(PLUGIN_JAR)))
  return { HERALD_CDC_ENABLED: 'true', HERALD_ADMIN_PASSWORD: PASSWORD, HERALD_PLUGINS_DIR: pluginDir }
}, {
  setup: async () => {
    browser = await b.launch()
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
  },
  teardown: async () => {
    if (browser) await browser.close().catch(() => {})
    if (pluginDir) fs.rmSync(pluginDir, { recursive: true, force: true })
  },
})

const row = (topic) => page.locator(`#channels-table tr[data-topic="${topic}"]`)

test('log in (a wrong password is refused)', async () => {
  await page.goto(`${ctx.server.httpUrl}/admin`)
  await page.waitForSelector('#login-form', { state: 'visible' })
  await b.screenshot(page, 'login')
  await page.fill('#login-form input[name=password]', 'wrong password')
  await page.click('#login-form button[type=submit]')
  await page.waitForFunction(() => document.getElementById('login-error').textContent === 'Wrong password')
  await page.fill('#login-form input[name=password]', PASSWORD)
  await page.click('#login-form button[type=submit]')
  await page.waitForSelector('#app-view', { state: 'visible' })
  await page.waitForSelector('[data-stat=connections] b')
})

test('a channel appears when a realtime-js client joins, and its rate chart moves when messages flow', async () => {
  const client = h.createClient(ctx)
  const ch = client.channel('console-room', { config: { broadcast: { self: true }, presence: { key: 'node-client' } } })
  await h.subscribe(ch)
  await ch.track({ from: 'node' })
  await row('console-room').waitFor({ timeout: 8000 })
  assert.equal(await row('console-room').locator('[data-health]').getAttribute('data-health'), 'ok')
  const sparkMax = () => row('console-room').locator('svg.spark').getAttribute('data-max').then(Number)
  // presence diffs count as activity too; the chart must move on broadcasts beyond that baseline
  const baseline = await sparkMax()
  for (let i = 0; i < 40; i++) {
    await ch.send({ type: 'broadcast', event: 'tick', payload: { i } })
    await h.sleep(25)
  }
  await h.waitFor(async () => (await sparkMax()) > baseline + 2, 6000, 'the channel rate sparkline to rise')
  const inRate = Number((await page.locator('#chart-rate svg').getAttribute('data-last')).split(',')[0])
  assert.ok(inRate > 0, `global in-rate chart at ${inRate}`)
  assert.ok(Number(await row('console-room').locator('[data-col=in]').textContent()) > 0)
  await row('console-room').click()
  await page.waitForSelector('#channel-detail >> text=node-client')
  await b.screenshot(page, 'channels')
})

test('the events/s limit changed in the form is validated, saved and enforced on the next messages', async () => {
  await page.click('nav a[data-view=limits]')
  const input = page.locator('input[name="herald.limits.max-events-per-second"]')
  await input.waitFor()
  // client-side validation: the field is marked, nothing is sent
  await input.fill('-5')
  await page.click('#limits-form button[type=submit]')
  await page.waitForFunction(() => document.querySelector('[data-error-for="herald.limits.max-events-per-second"]').textContent.includes('whole number'))
  assert.equal(await input.getAttribute('class'), 'invalid')
  const unchanged = await (await h.fetchT(`${ctx.server.httpUrl}/admin/api/limits`, { headers: { authorization: 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64') } })).json()
  assert.equal(unchanged.limits['herald.limits.max-events-per-second'], 0)

  await input.fill('5')
  await page.click('#limits-form button[type=submit]')
  await page.waitForFunction(() => /Saved 1 change/.test(document.getElementById('limits-status').textContent))
  await page.waitForSelector('#limits-audit >> text=herald.limits.max-events-per-second')
  await b.screenshot(page, 'limits')

  // The next messages hit the limit: the sender's channel is shut down with Supabase's message.
  const client = h.createClient(ctx)
  const ch = client.channel('console-limited')
  const system = []
  ch.on('system', {}, (m) => system.push(m))
  await h.subscribe(ch)
  for (let i = 0; i < 200 && system.length === 0; i++) {
    await ch.send({ type: 'broadcast', event: 'flood', payload: { i } }).catch(() => {})
    await h.sleep(5)
  }
  await h.waitFor(() => system.length > 0, 5000, 'the events limit to close the channel')
  assert.equal(system[0].message, 'Too many messages per second')
  // and the console shows the channel failing
  await page.click('nav a[data-view=channels]')
  await h.waitFor(async () => (await row('console-limited').locator('[data-health]').getAttribute('data-health').catch(() => null)) === 'failing',
    6000, 'console-limited marked failing')

  // back to unlimited through the form
  await page.click('nav a[data-view=limits]')
  // the view reloads the form from the server; wait for it to show the saved value before typing
  await page.waitForFunction(() => document.querySelector('input[name="herald.limits.max-events-per-second"]')?.value === '5')
  await input.fill('0')
  await page.click('#limits-form button[type=submit]')
  await page.waitForFunction(() => /Saved 1 change/.test(document.getElementById('limits-status').textContent))
})

test('disconnecting a connection from the console reaches the client with the reason', async () => {
  const token = await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'console-kick' })
  const client = h.createClient(ctx, { apikey: token })
  const ch = client.channel('console-kick-room')
  const system = []
  ch.on('system', {}, (m) => system.push(m))
  await h.subscribe(ch)
  await page.click('nav a[data-view=connections]')
  const tr = page.locator('#connections-table tr', { hasText: 'console-kick' })
  await tr.waitFor({ timeout: 5000 })
  await b.screenshot(page, 'connections')
  await tr.locator('input[name=reason]').fill('console test says bye')
  await tr.locator('button', { hasText: 'Disconnect' }).click()
  await h.waitFor(() => system.length > 0 && ch.state === 'closed', 5000, 'the client to get the disconnect')
  assert.equal(system[0].message, 'Disconnected by an administrator: console test says bye')
  await page.locator('#connections-table tr', { hasText: 'console-kick' }).waitFor({ state: 'detached', timeout: 5000 })
})

test('change capture and plugin views render; logging out returns to the login form', async () => {
  await page.click('nav a[data-view=cdc]')
  await page.waitForSelector('#cdc-gauge svg')
  await page.waitForSelector('#cdc-tables >> text=public.notes')
  await b.screenshot(page, 'cdc')
  await page.click('nav a[data-view=plugins]')
  await page.waitForSelector('#plugins-table >> text=notes')
  // The state column shows what the plugin reports: its health and its live figures.
  const state = await page.textContent('#plugins-table tbody tr:has-text("notes") td.plugin-state')
  assert.match(state, /\bok\b/, state)
  assert.match(state, /notes created: \d+/, state)
  await b.screenshot(page, 'plugins')
  await page.click('#logout')
  await page.waitForSelector('#login-form', { state: 'visible' })
  assert.deepEqual(pageErrors, [])
})
