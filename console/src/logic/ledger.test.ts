import { describe, expect, it } from 'vitest'
import {
  detailQuery, exportFileName, filtersSentence, householdFiltersQuery, householdQuery, parseHouseholdFilters,
  exportUrl, shanghaiTime,
} from './ledger'
import { householdsLink } from './links'

describe('household search filters', () => {
  it('round-trips through the route query', () => {
    const f = { q: '王', tag: '低保', risk: 'high' as const, node: 'hl-t1', visited: false, page: 3 }
    const q = householdFiltersQuery(f)
    expect(q).toEqual({ q: '王', tag: '低保', risk: 'high', node: 'hl-t1', visited: '0', page: '3' })
    expect(parseHouseholdFilters(q)).toEqual(f)
  })
  it('opens the dashboard’s “not visited” link as the not-visited list', () => {
    const link = householdsLink('hl-t2', true)
    expect(householdQuery(parseHouseholdFilters(link.query))).toEqual({ node: 'hl-t2', visited: false, page: 1, page_size: 20 })
    expect(householdQuery(parseHouseholdFilters(householdsLink('hl-t2').query))).toEqual({ node: 'hl-t2', page: 1, page_size: 20 })
  })
  it('drops what the server would refuse instead of showing an error', () => {
    expect(parseHouseholdFilters({ risk: 'extreme', node: '../x', visited: 'maybe', page: '0', q: '  ' })).toEqual({})
    expect(parseHouseholdFilters({ page: '1.5' })).toEqual({})
    const long = '长'.repeat(80)
    expect([...parseHouseholdFilters({ q: long }).q!].length).toBe(50)
    expect([...parseHouseholdFilters({ tag: long }).tag!].length).toBe(20)
    expect(householdFiltersQuery({ page: 1 })).toEqual({})
  })
  it('says in words what is shown', () => {
    expect(filtersSentence({}, 60)).toBe('全部住户')
    expect(filtersSentence({ q: '王', risk: 'medium', visited: false }, 60)).toBe('筛选：姓名或地址含“王”，风险等级“中风险”，近 60 天网格员未上门走访')
    expect(filtersSentence({ visited: true }, undefined)).toBe('筛选：网格员已按期上门走访')
  })
})

describe('household page', () => {
  it('pages visits and issues separately, defaulting to the first page', () => {
    expect(detailQuery({ visits: '2' })).toEqual({ visits_page: 2, issues_page: 1, page_size: 10 })
    expect(detailQuery({ visits: '-1', issues: 'x' })).toEqual({ visits_page: 1, issues_page: 1, page_size: 10 })
  })
  it('shows times in China time whatever the browser’s zone', () => {
    expect(shanghaiTime(Date.UTC(2026, 11, 1, 16, 5))).toBe('2026-12-02 00:05')
    expect(shanghaiTime(null)).toBe('')
  })
})

describe('measures export', () => {
  it('asks for the node and period shown', () => {
    expect(exportUrl('hl-t1', '2026-10-01', '2026-12-02')).toBe('/v1/console/measures/export?node=hl-t1&from=2026-10-01&to=2026-12-02')
  })
  it('names the file as the server does', () => {
    expect(exportFileName('attachment; filename="measures-hl-2026-10-01-2026-12-02.xlsx"', 'x', 'a', 'b')).toBe('measures-hl-2026-10-01-2026-12-02.xlsx')
    expect(exportFileName(null, 'hl', '2026-10-01', '2026-12-02')).toBe('measures-hl-2026-10-01-2026-12-02.xlsx')
  })
})
