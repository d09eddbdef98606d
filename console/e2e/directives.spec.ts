// 指令下达 end to end (issue #14 points 6 and 8): county staff compose a directive in the browser, and its
// coverage fills as real phones (the `phone` binary: a core FieldApp with its own store, syncing with the
// server) sign for it; 催办 reaches the silent group's phone; a task's completion report (with its photo from
// the phone) is sent back with a reason and then accepted, and the phone sees both decisions.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, signIn, PHONE_BIN } from './fixtures'

const shots = process.env.SCREENSHOTS

let dir = ''
test.beforeEach(() => {
  if (!existsSync(PHONE_BIN)) throw new Error(`phone not built: ${PHONE_BIN} (cargo build -p integration-tests --bin phone)`)
  dir = mkdtempSync(join(tmpdir(), 'linkage-phones-'))
})
test.afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** One call of a user's phone (each user has their own store under the test's directory). */
function phone(user: string, ...args: string[]) {
  const out = execFileSync(PHONE_BIN, ['--db', join(dir, user), '--server', process.env.LINKAGE_URL!, '--user', user, ...args])
  return JSON.parse(out.toString())
}

/** A real JPEG, drawn by the browser. */
async function jpeg(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas')
    c.width = 640
    c.height = 480
    const g = c.getContext('2d')!
    g.fillStyle = '#2e7d32'
    g.fillRect(0, 0, 640, 480)
    g.fillStyle = '#ffd54f'
    g.fillRect(100, 100, 300, 200)
    return c.toDataURL('image/jpeg', 0.9).split(',')[1]
  })
  return Buffer.from(b64, 'base64')
}

/** Opens a node of a lazy tree (`prefix` + node id on the node's label). */
async function expand(page: Page, testId: string) {
  await page.locator(`.el-tree-node__content:has([data-test="${testId}"]) .el-tree-node__expand-icon`).click()
}

/** Composes a directive to 石堡镇's first village (hl-t1-b1) and returns its id from the page it opens. */
async function compose(page: Page, kind: 'notice' | 'alert' | 'task', title: string, due?: string) {
  await page.locator('[data-test=menu-directives]').click()
  await page.locator('[data-test=compose]').click()
  await expect(page.locator('[data-test=compose-page]')).toBeVisible()
  await page.locator(`[data-test=kind-${kind}]`).click()
  await page.locator('[data-test=title]').fill(title)
  await page.locator('[data-test=body]').fill('今明两天大风，严禁野外用火。请各村组逐户告知。')
  if (due) {
    const input = page.getByPlaceholder('选择日期和时间')
    await input.fill(due)
    await input.press('Enter')
  }
  await expand(page, 'target-hl')
  await expand(page, 'target-hl-t1')
  await page.locator('[data-test=target-hl-t1-b1]').click()
  await expect(page.locator('[data-test=target-name]')).toContainText('村党支部')
}

async function submitted(page: Page): Promise<string> {
  await page.locator('[data-test=submit-directive]').click()
  await expect(page.locator('[data-test=directive-page]')).toBeVisible()
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!)
}

test('county staff issue a directive in the browser and watch its coverage fill as phones sign', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=menu-directives]')).toBeVisible()
  const title = `大风防火预警 ${Date.now() % 100000}`
  await compose(page, 'alert', title)
  // A photo, uploaded before the directive cites it.
  await page.locator('[data-test=photos]').setInputFiles({ name: '现场.jpg', mimeType: 'image/jpeg', buffer: await jpeg(page) })
  await expect(page.locator('.compose .photos img')).toHaveCount(1)
  const id = await submitted(page)
  await expect(page.locator('h1')).toContainText(title)
  await expect(page.locator('.directive .photos img')).toHaveCount(1)
  // Nobody signed yet: the village and its groups owe it.
  await expect(page.locator('[data-test=level-branch]')).toHaveText('0/1（0%）')
  const groups = Number((await page.locator('[data-test=level-group]').textContent())!.match(/^0\/(\d+)/)![1])
  expect(groups).toBeGreaterThan(1)

  // The village's grid worker pulls it on the phone and signs; the page is asked again.
  const inbox = phone('gw1-1', 'directives').directives
  expect(inbox.find((d: { id: string }) => d.id === id)?.title).toBe(title)
  expect(phone('gw1-1', 'ack', id).acknowledged_at_ms).toBeGreaterThan(0)
  await page.locator('[data-test=refresh]').click()
  await expect(page.locator('[data-test=level-branch]')).toHaveText('1/1（100%）')
  await expect(page.locator('[data-test=level-group]')).toHaveText(new RegExp(`^0/${groups}`))

  // The first group's liaison head signs; the page fills by itself (it reads coverage again every 15 s).
  phone('lh1-1-1', 'ack', id)
  await expect(page.locator('[data-test=level-group]')).toHaveText(new RegExp(`^1/${groups}（`), { timeout: 25_000 })

  // The tree level by level: the village signed, group 1 signed, group 2 not.
  await expand(page, 'tree-hl-t1-b1')
  await expect(page.locator('[data-test=tree-hl-t1-b1]')).toContainText('已签收')
  await expect(page.locator('[data-test=tree-hl-t1-b1-g1]')).toContainText('已签收')
  await expect(page.locator('[data-test=tree-hl-t1-b1-g2]')).toContainText('未签收')

  // 催办 the silent second group; its liaison head's phone shows the reminder.
  const silent = page.locator('[data-test=silent-nodes]')
  await expect(silent.locator('[data-test=remind-hl-t1-b1-g1]')).toHaveCount(0)
  await page.locator('[data-test=remind-hl-t1-b1-g2]').click()
  await expect(page.locator('[data-test=notice]')).toBeVisible()
  await expect(silent.locator('.el-table__row:has([data-test="remind-hl-t1-b1-g2"])')).toContainText(/\d{4}\/\d{1,2}\/\d{1,2}/)
  expect(phone('lh1-1-2', 'directive', id).reminded_at_ms).toBeGreaterThan(0)
  if (shots) {
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: `${shots}/console-directive.png` })
  }

  // The list shows it with its coverage; a township sees it as received.
  await page.locator('[data-test=menu-directives]').click()
  await expect(page.locator('[data-test=directive-list]')).toContainText(title)
})

test('a task report from a phone is sent back with a reason, then accepted', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=menu-directives]')).toBeVisible()
  const title = `隐患排查任务 ${Date.now() % 100000}`
  // A task without a due time: the server's rule refuses it, in Chinese.
  await compose(page, 'task', title)
  await page.locator('[data-test=submit-directive]').click()
  await expect(page.locator('[data-test=notice]')).toContainText('任务须填写办结时限')
  // With a due time three days ahead (China time).
  const due = new Date(Date.now() + 3 * 86400_000 + 8 * 3600_000).toISOString().slice(0, 10) + ' 18:00'
  const input = page.getByPlaceholder('选择日期和时间')
  await input.fill(due)
  await input.press('Enter')
  const id = await submitted(page)
  await expect(page.locator('[data-test=reports]')).toContainText('还没有单位上报完成情况')

  // The grid worker signs and reports the task done with a photo taken on the phone.
  phone('gw1-1', 'ack', id)
  const photo = join(dir, 'report.jpg')
  writeFileSync(photo, await jpeg(page))
  const reported = phone('gw1-1', 'report', id, '已逐户排查，发现隐患 2 处已整改', '--photo', photo)
  expect(reported.report_status_label).toBe('待审核')
  expect(reported.evidence).toHaveLength(1)

  await page.locator('[data-test=refresh]').click()
  await expect(page.locator('[data-test=report-status-hl-t1-b1]')).toHaveText('待审核')
  const img = page.locator('[data-test=reports] .photos img')
  await expect(img).toHaveCount(1)
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0)

  // Sending it back needs a reason (the server says so); then the phone sees it returned, with the reason.
  await page.locator('[data-test=return-hl-t1-b1]').click()
  await page.locator('[data-test=return-confirm]').click()
  await expect(page.locator('[data-test=notice]')).toContainText('退回须写明原因')
  await page.locator('[data-test=return-reason]').fill('缺少整改后的照片')
  await page.locator('[data-test=return-confirm]').click()
  await expect(page.locator('[data-test=report-status-hl-t1-b1]')).toHaveText('已退回')
  const back = phone('gw1-1', 'directive', id)
  expect([back.report_status_label, back.report_return_reason, back.can_report_completion]).toEqual(['已退回', '缺少整改后的照片', true])

  // Reported again, then accepted; the phone sees it accepted.
  phone('gw1-1', 'report', id, '已补充整改后的照片', '--photo', photo)
  await page.locator('[data-test=refresh]').click()
  await expect(page.locator('[data-test=report-status-hl-t1-b1]')).toHaveText('待审核')
  await page.locator('[data-test=accept-hl-t1-b1]').click()
  await expect(page.locator('[data-test=report-status-hl-t1-b1]')).toHaveText('已通过')
  await expect(page.locator('[data-test=accept-hl-t1-b1]')).toHaveCount(0)
  expect(phone('gw1-1', 'directive', id).report_status_label).toBe('已通过')
})
