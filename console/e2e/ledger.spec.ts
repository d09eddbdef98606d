// 住户台账 and administration in the browser: search the ledger and open a household's page; the dashboard's
// measures export downloads the XLSX; a township sees its own households only and no administration; county
// administrators add an account, reset its password and disable it, and revoke a phone (which the phone then
// learns when it syncs), every step confirmed first.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, signIn, pageFetch, PHONE_BIN } from './fixtures'


test('ledger search opens a household’s page', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await page.locator('[data-test=menu-households]').click()
  await expect(page.locator('[data-test=households-title]')).toHaveText('黄龙县 · 住户台账')
  const rows = page.locator('[data-test=households] tbody tr')
  await expect(rows).toHaveCount(20)
  const total = (await pageFetch(page, '/v1/console/households?page_size=1')).body.total
  expect(total).toBeGreaterThanOrEqual(2000) // the demo county (and what other specs imported)
  await expect(page.locator('.el-pagination')).toContainText(`共 ${total} 条`)

  // Search by the first household's head name: every row found has it.
  const name = (await rows.first().locator('td').first().innerText()).trim()
  await page.locator('[data-test=search-words]').fill(name)
  await page.locator('[data-test=search]').click()
  await expect(page).toHaveURL(new RegExp('q=' + encodeURIComponent(name)))
  await expect(page.locator('[data-test=filters-sentence]')).toContainText(`姓名或地址含“${name}”`)
  const found = await rows.count()
  expect(found).toBeGreaterThan(0)
  for (let i = 0; i < found; i++) expect(await rows.nth(i).innerText()).toContain(name)

  // High risk only, then open the first household.
  await page.locator('[data-test=search-words]').fill('')
  await page.locator('[data-test=search]').click()
  await page.locator('[data-test=search-risk]').click()
  await page.getByRole('option', { name: '高风险' }).click()
  await expect(page).toHaveURL(/risk=high/)
  await expect(rows.first()).toContainText('高风险')
  const head = (await rows.first().locator('td').first().innerText()).trim()
  await rows.first().click()
  await expect(page).toHaveURL(/\/console\/households\/[^/?]+$/)
  await expect(page.locator('[data-test=household-title]')).toHaveText(`${head} 户`)
  const facts = page.locator('[data-test=household-facts]')
  await expect(facts).toContainText('高风险')
  expect(await facts.innerText(), 'no ID number is shown unmasked').not.toMatch(/\d{17}[\dX]/)
  await expect(page.locator('[data-test=household-visits]')).toBeVisible()
  await expect(page.locator('[data-test=household-issues]')).toBeVisible()
  await expect(page.locator('h2').filter({ hasText: '走访记录' })).toContainText(/（\d+ 次）/)
  // Back to the list as it was.
  await page.locator('[data-test=back]').click()
  await expect(page).toHaveURL(/risk=high/)
})

test('the dashboard’s “not visited” list and the measures export', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('黄龙县 · 工作台')
  const download = page.waitForEvent('download')
  await page.locator('[data-test=export]').click()
  const file = await download
  expect(file.suggestedFilename()).toMatch(/^measures-hl-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.xlsx$/)
  const bytes = readFileSync(await file.path())
  expect(bytes.subarray(0, 4).toString('binary')).toBe('PK\u0003\u0004')

  await page.goto(url + '/console/households?node=hl-t1&visited=0')
  await expect(page.locator('[data-test=households-title]')).toHaveText('石堡镇 · 住户台账')
  await expect(page.locator('[data-test=filters-sentence]')).toContainText('天网格员未上门走访')
  const notVisited = await pageFetch(page, '/v1/console/households?node=hl-t1&visited=false&page_size=1')
  const visited = await pageFetch(page, '/v1/console/households?node=hl-t1&visited=true&page_size=1')
  const all = await pageFetch(page, '/v1/console/households?node=hl-t1&page_size=1')
  expect(notVisited.body.total + visited.body.total).toBe(all.body.total)
  await expect(page.locator('.el-pagination')).toContainText(`共 ${notVisited.body.total} 条`)
})

test('a township sees its own households only and no administration', async ({ page, url }) => {
  await signIn(page, url, 'ts1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('石堡镇 · 工作台')
  for (const m of ['menu-users', 'menu-devices', 'menu-import']) await expect(page.locator(`[data-test=${m}]`)).toHaveCount(0)
  await page.locator('[data-test=menu-households]').click()
  await expect(page.locator('[data-test=households-title]')).toHaveText('石堡镇 · 住户台账')
  const text = await page.locator('[data-test=households]').innerText()
  expect(text).toContain('石堡镇')
  for (const other of ['白马滩镇', '瓦子街镇']) expect(text).not.toContain(other)
  // Another township in the URL: the one answer for "not yours" and "no such".
  await page.goto(url + '/console/households?node=hl-t2')
  await expect(page.locator('[data-test=households-error]')).toContainText('不存在，或不在您的管辖范围内')
  const elsewhere = await pageFetch(page, '/v1/console/households?node=hl-t2')
  const unknown = await pageFetch(page, '/v1/console/households?node=hl-t99')
  expect([elsewhere.status, elsewhere.body]).toEqual([unknown.status, unknown.body])
  expect(elsewhere.status).toBe(404)
  // The administration pages by URL: the server's refusal in zh-CN.
  await page.goto(url + '/console/users')
  await expect(page.locator('[data-test=users-error]')).toContainText('只有县级管理员可以管理账号')
  await page.goto(url + '/console/devices')
  await expect(page.locator('[data-test=devices-error]')).toContainText('只有县级管理员可以管理账号')
})

test('county administrators add, reset and disable an account, and revoke a phone', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await page.locator('[data-test=menu-users]').click()
  await expect(page.locator('h1')).toHaveText('账号管理')
  const users = page.locator('[data-test=users] tbody tr')
  await expect(users.first()).toBeVisible()

  // Add: the form names what is missing; the server judges the rest (a township account needs a township).
  await page.locator('[data-test=add-user]').click()
  await page.locator('[data-test=add-submit]').click()
  await expect(page.locator('.el-dialog .el-alert').first()).toContainText('账号：请填写')
  await page.locator('[data-test=new-id]').fill('e2e-ts9')
  await page.locator('[data-test=new-name]').fill('测试镇干部')
  await page.locator('[data-test=new-role]').click()
  await page.getByRole('option', { name: '乡镇干部' }).click()
  await page.locator('[data-test=new-node]').fill('hl-t1-b1')
  await page.locator('[data-test=new-password]').fill('Qingshan-2026-chun')
  await page.locator('[data-test=new-again]').fill('Qingshan-2026-chun')
  await page.locator('[data-test=add-submit]').click()
  await expect(page.locator('.el-dialog .el-alert')).toContainText('须绑定到乡镇一级的单位')
  await page.locator('[data-test=new-node]').fill('hl-t1')
  await page.locator('[data-test=add-submit]').click()
  await expect(page.locator('[data-test=users-notice]')).toContainText('账号 e2e-ts9 已创建')
  await page.locator('[data-test=users-search]').fill('e2e-ts9')
  await expect(users).toHaveCount(1)
  await expect(users.first()).toContainText('待修改初始密码')

  // Reset the password: asked first; cancelling changes nothing.
  await page.locator('[data-test=reset-e2e-ts9]').click()
  await page.locator('[data-test=reset-password]').fill('Baima-2026-dong')
  await page.locator('[data-test=reset-again]').fill('Baima-2026-dong')
  await page.locator('[data-test=reset-submit]').click()
  await expect(page.locator('.el-message-box')).toContainText('确定把 测试镇干部（e2e-ts9） 的密码重置')
  await page.locator('.el-message-box').getByRole('button', { name: '重置密码' }).click()
  await expect(page.locator('[data-test=users-notice]')).toContainText('e2e-ts9 的密码已重置')

  // Disable: cancel first (still enabled), then confirm.
  await page.locator('[data-test=disable-e2e-ts9]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '取消' }).click()
  await expect(users.first()).toContainText('待修改初始密码')
  await page.locator('[data-test=disable-e2e-ts9]').click()
  await expect(page.locator('.el-message-box')).toContainText('停用后不能再登录')
  await page.locator('.el-message-box').getByRole('button', { name: '停用' }).click()
  await expect(page.locator('[data-test=users-notice]')).toContainText('账号 e2e-ts9 已停用')
  await expect(users.first()).toContainText('已停用')
  await expect(page.locator('[data-test=disable-e2e-ts9]')).toBeDisabled()
  // One's own account cannot be disabled from here.
  await page.locator('[data-test=users-search]').fill('cs1')
  await expect(page.locator('[data-test=disable-cs1]')).toBeDisabled()

  // A phone enrols; the administrator revokes it; the phone learns it at its next sync.
  const dir = mkdtempSync(join(tmpdir(), 'linkage-phone-'))
  try {
    const phone = (...args: string[]) =>
      execFileSync(PHONE_BIN, ['--db', dir, '--server', url, '--user', 'gw1-2', ...args], { timeout: 120_000 }).toString()
    expect(JSON.parse(phone('sync')).synced).toBe(true)
    await page.locator('[data-test=menu-devices]').click()
    await expect(page.locator('h1')).toHaveText('设备管理')
    await page.locator('[data-test=devices-search]').fill('gw1-2')
    const devices = page.locator('[data-test=devices] tbody tr')
    await expect(devices).toHaveCount(1)
    await expect(devices.first()).toContainText('使用中')
    await devices.first().getByRole('button', { name: '停用' }).click()
    await expect(page.locator('.el-message-box')).toContainText('下次联网时将清除本机数据')
    await page.locator('.el-message-box').getByRole('button', { name: '停用设备' }).click()
    await expect(page.locator('[data-test=devices-notice]')).toContainText('已停用')
    await expect(devices).toHaveCount(0) // revoked devices are hidden unless asked for
    await page.getByText('显示已停用的设备').click()
    await expect(devices.first()).toContainText('已停用')
    let refused = ''
    try {
      phone('sync')
    } catch (e) {
      refused = String((e as { stdout?: Buffer }).stdout ?? e)
    }
    expect(refused).toContain('error')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
