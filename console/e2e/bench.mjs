// scripts/bench-console.sh: first load of the dashboard (a fresh browser profile and cache each round) in
// headless Chromium against a running server, and the JavaScript bytes of that first load as sent (gzip).
// Prints each round (when the measures table showed, and when the charts were drawn too: the first load), the
// medians, and the bytes. With BENCH_REF (a reference build; BENCH_LINK, the symlink the server serves, and
// BENCH_DIST, the build measured), the rounds of the two builds alternate (the symlink switched before each) and
// the ratio of their medians is printed too. A benchmark, not a test: it reports, it does not assert.
import { chromium } from '@playwright/test'
import { mkdtempSync, rmSync, symlinkSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const url = process.env.LINKAGE_URL
const rounds = Number(process.env.ROUNDS ?? 5)
const user = process.env.BENCH_USER ?? 'cs1'
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const builds = process.env.BENCH_REF
  ? [{ name: 'console', dir: process.env.BENCH_DIST }, { name: 'reference', dir: process.env.BENCH_REF }]
  : [{ name: 'console', dir: null }]

/** The build's name before its lines, when two are measured. */
const tag = (b) => (builds.length > 1 ? `${b.name}: ` : '')

/** Serves `dir` from now on (the server reads the files per request). */
function serve(dir) {
  if (!dir) return
  symlinkSync(dir, process.env.BENCH_LINK + '.new')
  renameSync(process.env.BENCH_LINK + '.new', process.env.BENCH_LINK)
}

/** One first load in a fresh profile: [ms to the charts, ms to the table, script files and bytes]. */
async function firstLoad() {
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
  await ctx.close()
  rmSync(profile, { recursive: true, force: true })
  return { ms, table, files: sized.length, bytes: sized.reduce((a, s) => a + s.bytes, 0) }
}

for (const b of builds) {
  b.times = []
  b.tables = []
  serve(b.dir)
  const r = await firstLoad()
  b.js = { files: r.files, bytes: r.bytes }
  console.log(`${tag(b)}warm-up round (server caches): ${r.ms.toFixed(0)} ms`)
}
for (let i = 1; i <= rounds; i++) {
  // Alternating which build goes first, so neither always follows the other.
  for (const b of i % 2 ? builds : [...builds].reverse()) {
    serve(b.dir)
    const r = await firstLoad()
    b.times.push(r.ms)
    b.tables.push(r.table)
    console.log(`${tag(b)}round ${i}: first load of the dashboard ${r.ms.toFixed(0)} ms (table shown at ${r.table.toFixed(0)} ms), ${r.files} script files, ${(r.bytes / 1024).toFixed(1)} KiB JavaScript on the wire`)
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
const spread = (a) => `${Math.min(...a).toFixed(0)}–${Math.max(...a).toFixed(0)} ms`
for (const b of builds) {
  const label = tag(b)
  console.log(`${label}dashboard first load (table and charts), median of ${b.times.length}: ${median(b.times).toFixed(0)} ms (goal ≤ 1000 ms; spread ${spread(b.times)})`)
  console.log(`${label}measures table shown, median: ${median(b.tables).toFixed(0)} ms (spread ${spread(b.tables)})`)
  console.log(`${label}JavaScript on first load: ${b.js.files} files, ${(b.js.bytes / 1024).toFixed(1)} KiB as sent (gzip) (goal ≤ 600 KB)`)
}
if (builds.length > 1) {
  const [c, ref] = builds
  console.log(`console / reference, first load: ${(median(c.times) / median(ref.times)).toFixed(2)}; table shown: ${(median(c.tables) / median(ref.tables)).toFixed(2)}`)
}
