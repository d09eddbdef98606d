// 台账导入 with a bad row: the row-level report names the line, nothing is stored (the ledger search does not
// find the good rows); the corrected file is stored whole and its households are found in the ledger.
import { test, expect, signIn } from './fixtures'

const HEADER = 'id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact'
const good1 = 'e2e-h1,hl-t1-b1-g1,欧阳导入,3,13800001111,,石堡镇一组 1 号,,,低保,low,0'
const good2 = 'e2e-h2,hl-t1-b1-g1,欧阳二户,2,,,石堡镇一组 2 号,,,,medium,0'
const bad = 'e2e-h3,hl-t1-b1-g1,欧阳坏行,两口,,,石堡镇一组 3 号,,,,extreme,0'

async function upload(page: import('@playwright/test').Page, rows: string[]) {
  await page.locator('[data-test=import-file]').setInputFiles({
    name: 'households.csv', mimeType: 'text/csv', buffer: Buffer.from([HEADER, ...rows].join('\n') + '\n', 'utf-8'),
  })
  await page.locator('[data-test=import-start]').click()
}

test('a CSV with a bad row is reported by line and nothing is stored', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await page.locator('[data-test=menu-import]').click()
  await expect(page.locator('h1')).toHaveText('台账导入')

  await upload(page, [good1, bad, good2])
  await expect(page.locator('[data-test=import-answer]')).toContainText('导入未完成')
  await expect(page.locator('[data-test=import-answer]')).toContainText('没有保存任何数据')
  const problems = page.locator('[data-test=import-problems] tbody tr')
  await expect(problems).toHaveCount(1)
  // The bad row is the file's third line; both of its problems are named, in Chinese only.
  await expect(problems.first()).toHaveText('households.csv 第 3 行：家庭人口“两口”应为整数；风险等级“extreme”应为 低、中、高 之一')

  // Nothing stored: the ledger does not know the good rows either.
  await page.goto(url + '/console/households?q=' + encodeURIComponent('欧阳'))
  await expect(page.locator('[data-test=filters-sentence]')).toContainText('欧阳')
  await expect(page.locator('[data-test=households]')).toContainText('没有符合条件的住户')

  // The corrected file: stored whole, and found in the ledger.
  await page.locator('[data-test=menu-import]').click()
  await upload(page, [good1, good2])
  await expect(page.locator('[data-test=import-answer]')).toContainText('导入完成：0 个组织节点、2 户')
  await page.goto(url + '/console/households?q=' + encodeURIComponent('欧阳'))
  const rows = page.locator('[data-test=households] tbody tr')
  await expect(rows).toHaveCount(2)
  await expect(rows.first()).toContainText('欧阳导入')
  await expect(rows.first()).toContainText('138****1111')
})

test('the import is for county administrators only', async ({ page, url }) => {
  await signIn(page, url, 'ts1')
  await expect(page.locator('[data-test=dash-title]')).toHaveText('石堡镇 · 工作台')
  await expect(page.locator('[data-test=menu-import]')).toHaveCount(0)
  await page.goto(url + '/console/import')
  await upload(page, [good1])
  await expect(page.locator('[data-test=import-error]')).toContainText('只有县级管理员')
})
