// End-to-end tests: Debian's Chromium (headless, no sandbox, no network beyond loopback) drives the built
// console against a real `linkage-server demo` on a free loopback port with a temporary data dir
// (e2e/global-setup.ts). Run by scripts/test-console.sh.
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: { viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' },
})
