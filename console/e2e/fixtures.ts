// The browser of every spec: Debian's Chromium with the flags below and a fresh profile directory per test
// (`--user-data-dir`, removed afterwards), the console's base URL, and helpers. Specs import `test` and
// `expect` from here, not from @playwright/test.
import { test as base, expect, chromium, type BrowserContext, type Page } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run']
export const PASSWORD = 'linkage2026'
/** The workspace's root directory. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
/** The test phone (a real phone core, see README.md): `$PHONE_BIN`, else `target/debug/phone` of the workspace
 *  (what scripts/test-console.sh builds). */
export const PHONE_BIN = process.env.PHONE_BIN ?? join(ROOT, 'target', 'debug', 'phone')

export const test = base.extend<{ context: BrowserContext; page: Page; url: string }>({
  url: async ({}, use) => use(process.env.LINKAGE_URL!),
  context: async ({}, use) => {
    const profile = mkdtempSync(join(tmpdir(), 'linkage-chromium-'))
    // launchPersistentContext passes the profile as --user-data-dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: FLAGS,
      viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    })
    await use(context)
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  },
  page: async ({ context }, use) => use(context.pages()[0] ?? (await context.newPage())),
})
export { expect }

/** Signs in on the console's page as `user` and waits for the dashboard. */
export async function signIn(page: Page, url: string, user: string, password = PASSWORD) {
  await page.goto(url + '/console/')
  await page.getByRole('textbox', { name: '账号' }).fill(user)
  await page.getByRole('textbox', { name: '密码' }).fill(password)
  await page.locator('[data-test=submit]').click()
}

/** A JSON request from inside the page (same origin: the session cookie goes with it). */
export async function pageFetch(page: Page, path: string, init: { method?: string; csrf?: string | null; body?: unknown } = {}) {
  return page.evaluate(async ({ path, init }) => {
    const headers: Record<string, string> = {}
    if (init.csrf) headers['X-CSRF-Token'] = init.csrf
    if (init.body !== undefined) headers['Content-Type'] = 'application/json'
    const r = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) })
    return { status: r.status, body: await r.json().catch(() => null) }
  }, { path, init })
}

/** The readable CSRF cookie of the page's session. */
export async function csrfCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === 'linkage_csrf')?.value
}
