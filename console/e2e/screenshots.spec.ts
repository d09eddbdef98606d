// The gallery of docs/console.md: the dashboard, the map and the ledger at 1366×768 (only with
// SCREENSHOTS=<dir>, from scripts/console-screenshots.sh; the directive's page is shot by directives.spec.ts).
import { test, expect, signIn } from './fixtures'

const out = process.env.SCREENSHOTS

test.skip(!out, 'screenshots only on demand')

test('dashboard, map and ledger at 1366×768', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=measures]')).toBeVisible()
  await page.waitForTimeout(1200) // the charts' entry animation
  await page.screenshot({ path: `${out}/console-dashboard.png` })
  await page.locator('[data-test=menu-map]').click()
  await expect(page.locator('[data-test=map] canvas').first()).toBeVisible()
  await page.waitForTimeout(1500)
  await page.screenshot({ path: `${out}/console-map.png` })
  await page.goto(url + '/console/dashboard?node=hl-t1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('石堡镇 · 工作台')
  await page.waitForTimeout(1200)
  await page.screenshot({ path: `${out}/console-dashboard-township.png` })
  await page.goto(url + '/console/households?node=hl-t1&risk=high')
  await expect(page.locator('[data-test=households] tbody tr').first()).toBeVisible()
  await expect(page.locator('.el-loading-mask')).toHaveCount(0)
  await page.waitForTimeout(400) // Element Plus's fade-out transitions
  await page.screenshot({ path: `${out}/console-households.png` })
  // A household the grid worker visited (its page shows the visits with their GPS verdict), shot once its data is
  // in and the loading mask has faded out.
  await page.goto(url + '/console/households?node=hl-t1&visited=1')
  await expect(page.locator('[data-test=households] tbody tr').first()).toBeVisible()
  await page.locator('[data-test=households] tbody tr').first().click()
  await expect(page.locator('[data-test=household-title]')).toBeVisible()
  await expect(page.locator('[data-test=household-visits] tbody tr').first()).toBeVisible()
  await expect(page.locator('.el-loading-mask')).toHaveCount(0)
  await page.waitForTimeout(400) // Element Plus's fade-out transitions
  await page.screenshot({ path: `${out}/console-household.png` })
})
