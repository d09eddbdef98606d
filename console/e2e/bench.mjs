// scripts/bench-console.sh: first load of the dashboard (a fresh browser profile and cache each round) in
// headless Chromium against a running server, and the JavaScript bytes of that first load as sent (gzip).
// Prints each round (when the measures table showed, and when the charts were drawn too: the first load), the
// medians, and the bytes. A benchmark, not a test: it reports, it does not assert.
import { chromium } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const url = process.env.LINKAGE_URL
const rounds = Number(process.env.ROUNDS ?? 5)
const user = process.env.BENCH_USER ?? 'cs1'
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const times = []
const tables = []
let js = null
for (let i = 0; i <= rounds; i++) {
  const profile = mkdtempSync(join(tmpdir(), 'linkage-bench-'))
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: flags, viewport: { width: 1366, height: 768 } })
  const signIn = await ctx.request.post(url + '/v1/console/session', { data: { user_id: user, password: 'linkage2026' } })
  if (!signIn.ok()) throw new Error('sign-in failed: ' + signIn.status())
  const page = ctx.pages()[0] ?? (await ctx.newPage())
  const scripts = []
  page.on('requestfinished', async (req) => {
    if (req.resourceType() === 'script') scripts.push(req.sizes().then((s) => ({ url: req.url(), bytes: s.responseBodySize, headers: s.responseHeadersSize })))
  })
  const t0 = performance.now()
  await page.goto(url + '/console/dashboard')
  await page.locator('[data-test=measures] tbody tr').first().waitFor()
  const table = performance.now() - t0
  await page.locator('[data-test=trend] canvas').first().waitFor()
  const ms = performance.now() - t0
  const sized = await Promise.all(scripts)
  const bytes = sized.reduce((a, s) => a + s.bytes, 0)
  if (i === 0) {
    js = { files: sized.length, bytes }
    console.log(`warm-up round (server caches): ${ms.toFixed(0)} ms`)
  } else {
    times.push(ms)
    tables.push(table)
    console.log(`round ${i}: first load of the dashboard ${ms.toFixed(0)} ms (table shown at ${table.toFixed(0)} ms), ${sized.length} script files, ${(bytes / 1024).toFixed(1)} KiB JavaScript on the wire`)
  }
  await ctx.close()
  rmSync(profile, { recursive: true, force: true })
}
times.sort((a, b) => a - b)
tables.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]
console.log(`dashboard first load (table and charts), median of ${times.length}: ${median.toFixed(0)} ms (goal ≤ 1000 ms; spread ${times[0].toFixed(0)}–${times[times.length - 1].toFixed(0)} ms)`)
console.log(`measures table shown, median: ${tables[Math.floor(tables.length / 2)].toFixed(0)} ms (spread ${tables[0].toFixed(0)}–${tables[tables.length - 1].toFixed(0)} ms)`)
console.log(`JavaScript on first load: ${js.files} files, ${(js.bytes / 1024).toFixed(1)} KiB as sent (gzip) (goal ≤ 600 KB)`)
