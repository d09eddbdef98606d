// County and township staff each see their own area in the console; an out-of-scope URL is refused; field
// roles cannot sign in; a stale CSRF token is refused and changes nothing.
import { test, expect, signIn, pageFetch, csrfCookie } from './fixtures'

test('county staff see the county and every township', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('黄龙县 · 工作台')
  await expect(page.locator('[data-test=node-name]')).toHaveText('黄龙县')
  const rows = page.locator('[data-test=measures] tbody tr')
  await expect(rows).toHaveCount(9) // the county and its 8 townships
  await expect(page.locator('[data-test=row-hl-t2]')).toContainText('白马滩镇')
  // Drill into a township and back up.
  await page.locator('[data-test=row-hl-t2] th a').click()
  await expect(page.locator('[data-test=dash-title]')).toHaveText('白马滩镇 · 工作台')
  await expect(page).toHaveURL(/node=hl-t2/)
  await page.locator('[data-test=up]').click()
  await expect(page.locator('[data-test=dash-title]')).toHaveText('黄龙县 · 工作台')
  // The map draws the county with its townships listed.
  await page.locator('[data-test=menu-map]').click()
  await expect(page.locator('[data-test=map-title]')).toHaveText('黄龙县 · 地图')
  await expect(page.locator('[data-test=areas] tbody tr')).toHaveCount(8)
  await expect(page.locator('[data-test=map] canvas').first()).toBeVisible()
})

test('township staff see their township only; another township is refused', async ({ page, url }) => {
  await signIn(page, url, 'ts1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('石堡镇 · 工作台')
  const text = await page.locator('[data-test=measures]').innerText()
  for (const other of ['白马滩镇', '瓦子街镇', '黄龙县']) expect(text).not.toContain(other)
  // An out-of-scope id in the URL: a zh-CN refusal, no figures.
  await page.goto(url + '/console/dashboard?node=hl-t2')
  await expect(page.locator('[data-test=dash-error]')).toContainText('不在您的管辖范围内')
  await expect(page.locator('[data-test=measures]')).toHaveCount(0)
  await page.goto(url + '/console/map?node=hl')
  await expect(page.locator('[data-test=map-error]')).toContainText('不在您的管辖范围内')
  // The API says the same to the page's own requests: 404, as for an id that does not exist (nothing leaks).
  const r = await pageFetch(page, '/v1/console/map?node=hl-t2')
  expect(r.status).toBe(404)
  expect(r.body.message).toContain('不在您的管辖范围内')
  expect(await pageFetch(page, '/v1/console/map?node=hl-t99')).toEqual(r)
})

test('field roles cannot sign in to the console', async ({ page, url }) => {
  await signIn(page, url, 'gw1-1')
  await expect(page.locator('[data-test=error]')).toContainText('仅供县级、乡镇干部使用')
  await signIn(page, url, 'ts1', 'wrong-password')
  await expect(page.locator('[data-test=error]')).toContainText('账号或密码错误')
})

test('a stale CSRF token is refused and changes nothing', async ({ page, context, url }) => {
  await signIn(page, url, 'ts1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('石堡镇 · 工作台')
  const stale = await csrfCookie(context)
  expect(stale).toBeTruthy()
  // Sign out and in again: a new session, a new CSRF value.
  await page.locator('[data-test=sign-out]').click()
  await expect(page.locator('[data-test=submit]')).toBeVisible()
  await signIn(page, url, 'ts1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('石堡镇 · 工作台')
  const fresh = await csrfCookie(context)
  expect(fresh).not.toBe(stale)
  for (const csrf of [stale, null]) {
    const r = await pageFetch(page, '/v1/console/session', { method: 'DELETE', csrf })
    expect(r.status).toBe(403)
    expect(r.body.message).toContain('页面已过期')
  }
  expect((await pageFetch(page, '/v1/console/session')).status).toBe(200) // still signed in
  expect((await pageFetch(page, '/v1/console/session', { method: 'DELETE', csrf: fresh })).status).toBe(200)
  expect((await pageFetch(page, '/v1/console/session')).status).toBe(401)
})
