import { describe, expect, it } from 'vitest'
import { importContentType, MAX_IMPORT_BYTES } from './upload'

describe('import file', () => {
  it('csv and xlsx by name', () => {
    expect(importContentType('住户.CSV', 10)).toEqual({ type: 'text/csv' })
    expect(importContentType('nodes.xlsx', 10)).toEqual({ type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' })
  })
  it('refuses old xls, other files and oversized ones in Chinese', () => {
    expect('refusal' in importContentType('a.xls', 10)).toBe(true)
    expect(importContentType('a.txt', 10)).toEqual({ refusal: '请选择 .csv 或 .xlsx 文件' })
    expect(importContentType('a.csv', MAX_IMPORT_BYTES + 1)).toEqual({ refusal: '文件过大：最大 8 MB，请分成几个文件导入' })
  })
})
