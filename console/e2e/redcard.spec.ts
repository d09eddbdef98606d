// 红牌督办 in the browser reaches a phone: county staff red-card an overdue issue a township handles, and the
// township's phone (a real phone core, the test-only `phone` binary of integration-tests) shows the red card
// after it syncs — the same event through the push path, the change feed and the phone's pull.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, signIn, pageFetch, PHONE_BIN } from './fixtures'


/** Runs the phone core as `user` on its store in `dir`; its JSON answer. */
function phone(dir: string, user: string, ...args: string[]) {
  const out = execFileSync(PHONE_BIN, ['--db', dir, '--server', process.env.LINKAGE_URL!, '--user', user, ...args], { timeout: 120_000 })
  return JSON.parse(out.toString())
}

test('a red card given in the browser shows on the township’s phone after sync', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('黄龙县 · 工作台')

  // The overdue list, as the page shows it; pick an issue a township handles that the county may red-card now.
  await page.goto(url + '/console/issues?light=red')
  await expect(page.locator('.el-table__body tbody tr').first()).toBeVisible()
  const list = await pageFetch(page, '/v1/console/issues?light=red&page_size=100')
  expect(list.status).toBe(200)
  let target: { id: string; title: string; township_id: string } | null = null
  for (const row of list.body.items) {
    if (!row.township_id || row.owner_node_id !== row.township_id || row.supervision === 'red') continue
    const d = await pageFetch(page, `/v1/console/issues/${row.id}`)
    if (d.body.actions.some((a: { action: string }) => a.action === 'supervise')) {
      target = row
      break
    }
  }
  expect(target, 'the demo county has an overdue issue owned by a township').not.toBeNull()
  const { id, township_id } = target!
  const user = 'ts' + township_id.replace(/^hl-t/, '') // the township's staff (demo accounts ts1 … ts8)

  const dir = mkdtempSync(join(tmpdir(), 'linkage-phone-'))
  try {
    const before = phone(dir, user, 'issue', id)
    expect(before.id).toBe(id)
    expect(before.supervision).not.toBe('Red')

    // In the browser: open the issue, 督办 → 红牌督办 with a note, confirm.
    await page.goto(url + `/console/issues/${id}`)
    await expect(page.locator('h1')).toHaveText(target!.title)
    await page.getByRole('button', { name: '督办', exact: true }).click()
    const dialog = page.getByRole('dialog', { name: '督办' })
    await dialog.getByText('红牌督办').click()
    await dialog.locator('textarea').fill('超期未办结，请三日内办结并报县里')
    await dialog.getByRole('button', { name: '确定' }).click()
    await expect(page.locator('.el-alert')).toContainText('督办：已完成')
    await expect(page.locator('.facts')).toContainText('红牌督办')

    // The phone syncs and shows the red card.
    const after = phone(dir, user, 'issue', id)
    expect(after.supervision).toBe('Red')
    expect(after.supervision_label).toBe('红牌督办')
    expect(after.state).toBe(before.state)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
