// Forms (问卷, issue #15) on the console: the county imports the example XLSForm questionnaire; a malformed
// workbook is refused with its rows and nothing is stored; a real phone (the `phone` binary over a real core)
// fills the questionnaire offline and syncs; the console then shows the tabulation the server computed and
// downloads the XLSX export; a township sees its own area only; the county retires the version.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, signIn, pageFetch, PHONE_BIN, ROOT } from './fixtures'
import { xlsx } from './xlsx'

const example = join(ROOT, 'examples', 'forms', 'yunlian-village-questionnaire.xlsx')

const malformed = xlsx([
  ['survey', [
    ['type', 'name', 'label'],
    ['text', 'name1', '姓名'],
    ['texte', 'q2', '题二'],
    ['integer', 'name1', '重复的名称'],
    ['select_one colours', 'q4', '颜色'],
  ]],
  ['choices', [['list_name', 'name', 'label'], ['yn', 'yes', '是'], ['yn', 'no', '否']]],
  ['settings', [['form_id'], ['e2e_bad_form']]],
])

/** What gw1-1 answers for their own village (石堡镇's first village): a weak village, 320 households, unsatisfied. */
const steps = [
  { path: 'interview_date', text: '2026-12-01' },
  { path: 'village_type', choice: 'weak' },
  { path: 'merged', choice: 'no' },
  { path: 'households', text: '320' },
  { path: 'population', text: '960' },
  { path: 'groups', text: '6' },
  { path: 'office_space', choice: 'enough' },
  { path: 'school_access', choice: 'yes' },
  { path: 'collective_income', text: '8.5' },
  { path: 'main_industry', text: '茶叶' },
  { path: 'committee_members', text: '5' },
  { path: 'service_satisfaction', choice: 'unsatisfied' },
  { path: 'dissatisfaction_reason', text: '办事要跑镇上' },
  { path: 'grids', text: '3' },
  { add: 'problems' },
  { path: 'problems[1]/problem_task', choice: 'governance' },
  { path: 'problems[1]/problem', text: '矛盾纠纷多' },
]

test.describe.configure({ mode: 'serial' })

test('county imports the questionnaire; a malformed one is refused with its rows', async ({ page, url }) => {
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=node-name]')).toHaveText('黄龙县')
  await page.locator('[data-test=menu-forms]').click()
  await expect(page.locator('h1')).toHaveText('问卷与排查表')

  // The malformed workbook: every bad row named, nothing stored.
  await page.locator('[data-test=form-file]').setInputFiles({ name: '排查表.xlsx', mimeType: 'application/octet-stream', buffer: malformed })
  await page.locator('[data-test=form-import]').click()
  await expect(page.locator('[data-test=import-answer]')).toContainText('导入未完成：发现 3 处问题')
  const problems = page.locator('[data-test=problems] tbody tr')
  await expect(problems).toHaveCount(3)
  await expect(problems.nth(0)).toContainText('第 3 行')
  await expect(problems.nth(0)).toContainText('未知题型「texte」')
  await expect(problems.nth(1)).toContainText('第 4 行')
  await expect(problems.nth(1)).toContainText('题目名称「name1」与第 2 行重复')
  await expect(problems.nth(2)).toContainText('第 5 行')
  await expect(problems.nth(2)).toContainText('choices 表里没有选项列表「colours」')
  await expect(page.locator('[data-test=form-e2e_bad_form]')).toHaveCount(0)

  // An old .xls is refused before sending.
  await page.locator('[data-test=form-file]').setInputFiles({ name: 'old.xls', mimeType: 'application/vnd.ms-excel', buffer: Buffer.from('x') })
  await page.locator('[data-test=form-import]').click()
  await expect(page.locator('[data-test=import-error]')).toContainText('不支持旧版 .xls')

  // The example questionnaire, for the whole county.
  await page.locator('[data-test=form-file]').setInputFiles(example)
  await page.locator('[data-test=form-import]').click()
  await expect(page.locator('[data-test=import-answer]')).toContainText('导入完成：问卷「筠连县两项改革“后半篇”文章村组访谈问卷」（yunlian_village 第 1 版')
  await expect(page.locator('[data-test=form-yunlian_village]')).toContainText('使用中')
  await expect(page.locator('[data-test=responses-yunlian_village-1]')).toHaveText('0')
  // Importing the same version again: refused on the settings row.
  await page.locator('[data-test=form-file]').setInputFiles(example)
  await page.locator('[data-test=form-import]').click()
  await expect(page.locator('[data-test=problems]')).toContainText('已有第 1 版')
})

test('a phone fills the questionnaire; the console shows the tabulation and the export', async ({ page, url }) => {
  const dir = mkdtempSync(join(tmpdir(), 'linkage-phone-'))
  try {
    const stepsFile = join(dir, 'steps.json')
    writeFileSync(stepsFile, JSON.stringify(steps))
    const out = JSON.parse(execFileSync(PHONE_BIN, ['--db', dir, '--server', url, '--user', 'gw1-1', 'form', 'yunlian_village', stepsFile]).toString())
    expect(out.form_id).toBe('yunlian_village')
    expect(out.response_id).toBeTruthy()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=node-name]')).toHaveText('黄龙县')
  await page.locator('[data-test=menu-forms]').click()
  await expect(page.locator('[data-test=responses-yunlian_village-1]')).toHaveText('1')
  await page.locator('[data-test=report-yunlian_village-1]').click()
  await expect(page.locator('[data-test=total]')).toContainText('黄龙县：共 1 份答卷')
  // The server's figures for the one response: 320 households, a weak village (100 %), one problem.
  await expect(page.locator('[data-test=answered-households]')).toHaveText('1')
  await expect(page.locator('[data-test=mean-households]')).toHaveText('320')
  await expect(page.locator('[data-test=freq-village_type-weak]')).toContainText('100%')
  await expect(page.locator('[data-test=freq-village_type-key]')).toContainText('0%')
  await expect(page.locator('[data-test=answered-dissatisfaction_reason]')).toHaveText('1')
  await expect(page.locator('[data-test=answered-problem]')).toHaveText('1')
  await expect(page.locator('[data-test=mean-persons_per_household]')).toHaveText('3')

  // The export downloads the XLSX of those responses.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export]').click()])
  expect(download.suggestedFilename()).toBe('form-yunlian_village-v1-hl.xlsx')
  const file = await download.path()
  expect(readFileSync(file!).subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004')
})

test('a township sees its own area; the county retires the version', async ({ page, url }) => {
  await signIn(page, url, 'ts2')
  await expect(page.locator('[data-test=node-name]')).toHaveText('白马滩镇')
  await page.locator('[data-test=menu-forms]').click()
  // The questionnaire reaches 白马滩镇, but its response came from 石堡镇.
  await expect(page.locator('[data-test=responses-yunlian_village-1]')).toHaveText('0')
  await expect(page.locator('[data-test=form-import]')).toHaveCount(0)
  await expect(page.locator('[data-test=retire-yunlian_village-1]')).toHaveCount(0)
  await page.goto(url + '/console/forms/yunlian_village?node=hl-t1')
  await expect(page.locator('.el-alert')).toContainText('不在您的管辖范围内')
  const r = await pageFetch(page, '/v1/console/forms/yunlian_village/report?node=hl-t1')
  expect(r.status).toBe(404)

  await page.locator('[data-test=sign-out]').click()
  await signIn(page, url, 'ts1')
  await expect(page.locator('[data-test=node-name]')).toHaveText('石堡镇')
  await page.locator('[data-test=menu-forms]').click()
  await expect(page.locator('[data-test=responses-yunlian_village-1]')).toHaveText('1')

  await page.locator('[data-test=sign-out]').click()
  await signIn(page, url, 'cs1')
  await expect(page.locator('[data-test=node-name]')).toHaveText('黄龙县')
  await page.locator('[data-test=menu-forms]').click()
  await page.locator('[data-test=retire-yunlian_village-1]').click()
  await page.getByRole('button', { name: '确定停用' }).click()
  await expect(page.locator('[data-test=notice]')).toContainText('问卷「yunlian_village」第 1 版已停用')
  await expect(page.locator('[data-test=form-yunlian_village]')).toContainText('已停用')
  await expect(page.locator('[data-test=retire-yunlian_village-1]')).toHaveCount(0)
})
