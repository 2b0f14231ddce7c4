'use strict'
// Shared helpers of the browser suite: headless Debian chromium driven by playwright-core (no browser download),
// screenshots under e2e/artifacts/screenshots/. Defines no tests.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { chromium } = require('playwright-core')

const SCREENSHOTS = path.resolve(__dirname, '..', 'artifacts', 'screenshots')

function chromiumPath() {
  if (process.env.HERALD_CHROMIUM) return process.env.HERALD_CHROMIUM
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim()
    } catch {}
  }
  throw new Error('chromium not found: run scripts/install-test-deps.sh (installs the Debian chromium package) or set HERALD_CHROMIUM')
}

async function launch() {
  return await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 20000,
  })
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

module.exports = { launch, screenshot, SCREENSHOTS }
