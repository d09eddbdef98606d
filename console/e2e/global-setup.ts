// Starts a real `linkage-server demo` (seeded demo county) on a free loopback port with a temporary data dir,
// serving the built console; the tests find it in LINKAGE_URL. The server and the directory go at teardown.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => ok(port))
    })
    s.on('error', fail)
  })
}

export default async function globalSetup() {
  const bin = process.env.LINKAGE_SERVER_BIN ?? join(root, 'target', 'debug', 'linkage-server')
  if (!existsSync(bin)) throw new Error(`linkage-server not built: ${bin} (cargo build -p linkage-server)`)
  const dist = join(root, 'console', 'dist')
  if (!existsSync(join(dist, 'index.html'))) throw new Error('console not built: npm run build')
  const dir = mkdtempSync(join(tmpdir(), 'linkage-e2e-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const households = process.env.E2E_HOUSEHOLDS ?? '2000'
  const server = spawn(bin, ['demo', '--data-dir', join(dir, 'data'), '--listen', `127.0.0.1:${port}`, '--households', households,
    '--console-dir', dist, '--max-requests-per-minute', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  server.stdout.on('data', (d) => (log += d))
  server.stderr.on('data', (d) => (log += d))
  const deadline = Date.now() + 300_000
  for (;;) {
    if (server.exitCode !== null) throw new Error('linkage-server exited:\n' + log)
    try {
      if ((await fetch(url + '/openapi.json')).ok) break
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error('linkage-server did not start:\n' + log)
    await new Promise((r) => setTimeout(r, 250))
  }
  process.env.LINKAGE_URL = url
  process.env.LINKAGE_DATA_DIR = join(dir, 'data')
  return async () => {
    server.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    rmSync(dir, { recursive: true, force: true })
  }
}
