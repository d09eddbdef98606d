// The gallery of docs/console.md: the dashboard and the map at 1366×768 (only with SCREENSHOTS=<dir>, from
// scripts/console-screenshots.sh).
import { test, expect, signIn } from './fixtures'

const out = process.env.SCREENSHOTS

test.skip(!out, 'screenshots only on demand')

test('dashboard and map at 1366×768', async ({ page, url }) => {
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
})
