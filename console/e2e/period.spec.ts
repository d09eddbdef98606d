// The dashboard's period picker (src/components/DateRangePicker.ts): it shows the period of the figures, its
// calendar is built only when first opened (not on the dashboard's first load, issue #14), and a period picked
// in it reloads the dashboard for that period (from/to in the address).
import { test, expect, signIn } from './fixtures'

test('the period picker shows the period, opens its calendar and reloads the dashboard for a picked period', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  const note = page.locator('.note')
  await expect(note).toContainText('统计期')
  const [, from, to] = (await note.innerText()).match(/统计期 (\d{4}-\d{2}-\d{2}) 至 (\d{4}-\d{2}-\d{2})/)!
  const start = page.getByPlaceholder('开始日期')
  const end = page.getByPlaceholder('结束日期')
  await expect(start).toHaveValue(from)
  await expect(end).toHaveValue(to)
  // Not built before anybody opens it.
  await expect(page.locator('.el-date-range-picker')).toHaveCount(0)
  await start.click()
  const panel = page.locator('.el-date-range-picker')
  await expect(panel).toBeVisible()
  // Two days of the left month: the period's first and last day (a range picked without time is taken at once).
  const days = panel.locator('.el-date-range-picker__content.is-left td.available')
  await days.nth(1).click()
  await days.nth(6).click()
  await expect(page).toHaveURL(/from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}|to=\d{4}-\d{2}-\d{2}&from=\d{4}-\d{2}-\d{2}/)
  const picked = new URL(page.url()).searchParams
  const pFrom = picked.get('from')!
  const pTo = picked.get('to')!
  expect(pFrom < pTo).toBe(true)
  expect(pFrom === from && pTo === to).toBe(false)
  await expect(note).toContainText(`统计期 ${pFrom} 至 ${pTo}`)
  await expect(start).toHaveValue(pFrom)
  await expect(end).toHaveValue(pTo)
  await expect(page.locator('[data-test=measures] tbody tr')).toHaveCount(9)
  // Opened again, the calendar is there at once (kept after the first opening).
  await start.click()
  await expect(panel).toBeVisible()
})
