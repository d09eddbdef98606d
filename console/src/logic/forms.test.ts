import { describe, expect, it } from 'vitest'
import { exportUrl, figure, formFileCheck, groupByForm, importQuery, MAX_FORM_BYTES, problemRow, reportQuery, XLSX_TYPE } from './forms'

describe('form workbook', () => {
  it('takes .xlsx only, refusing others in Chinese', () => {
    expect(formFileCheck('问卷.XLSX', 10)).toEqual({ type: XLSX_TYPE })
    expect(formFileCheck('old.xls', 10)).toEqual({ refusal: '不支持旧版 .xls：请在 Excel 中另存为 .xlsx 后再导入' })
    expect('refusal' in formFileCheck('form.csv', 10)).toBe(true)
    expect(formFileCheck('a.xlsx', MAX_FORM_BYTES + 1)).toEqual({ refusal: '文件过大：最大 8 MB' })
    expect(formFileCheck('a.xlsx', MAX_FORM_BYTES)).toEqual({ type: XLSX_TYPE })
    expect(formFileCheck('a.xlsx', 0)).toEqual({ refusal: '文件是空的，请重新选择' })
  })
})

describe('queries', () => {
  it('import: defaults are left out', () => {
    expect(importQuery(null, [], false)).toBe('')
    expect(importQuery('hl-t1', ['grid_worker', 'liaison_head'], true)).toBe('?node=hl-t1&roles=grid_worker%2Cliaison_head&dry_run=true')
  })
  it('report and export', () => {
    expect(reportQuery(null, null)).toEqual({})
    expect(reportQuery(2, 'hl-t1')).toEqual({ version: 2, node: 'hl-t1' })
    expect(exportUrl('yunlian_village', null, null)).toBe('/v1/console/forms/yunlian_village/export')
    expect(exportUrl('yunlian_village', 1, 'hl-t1')).toBe('/v1/console/forms/yunlian_village/export?version=1&node=hl-t1')
  })
})

describe('list and problems', () => {
  it('groups versions by form in the given order', () => {
    const rows = [
      { form_id: 'a', version: 2, title: '甲' },
      { form_id: 'a', version: 1, title: '甲（旧）' },
      { form_id: 'b', version: 1, title: '乙' },
    ]
    const g = groupByForm(rows)
    expect(g.map((x) => [x.formId, x.title, x.versions.map((v) => v.version)])).toEqual([['a', '甲', [2, 1]], ['b', '乙', [1]]])
    expect(groupByForm([])).toEqual([])
  })
  it('names the row, or the whole sheet', () => {
    expect(problemRow({ sheet: 'survey', row: 5, reason: '未知题型「texte」' })).toEqual({ sheet: 'survey', row: '第 5 行', reason: '未知题型「texte」' })
    expect(problemRow({ sheet: 'settings', row: 0, reason: '缺少 form_id' }).row).toBe('整表')
  })
  it('figures', () => {
    expect(figure(null)).toBe('—')
    expect(figure(undefined)).toBe('—')
    expect(figure(1.5)).toBe('1.5')
    expect(figure(0)).toBe('0')
  })
})
