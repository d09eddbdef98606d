import { describe, expect, it } from 'vitest'
import { userMessage, zhPart } from './errors'
import { readCookie, changesState } from './cookies'
import { issuesLink, parseIssueFilters, householdsLink } from './links'
import { dashboardKey, dashboardQuery } from './dashboard'

describe('errors shown to users are zh-CN', () => {
  it('takes the zh-CN half of a server message', () => {
    expect(zhPart('不在您的管辖范围内，或不存在 / outside your area')).toBe('不在您的管辖范围内，或不存在')
    expect(zhPart('no such endpoint')).toBe('')
  })
  it('falls back by code, then by status, never English or a status number', () => {
    expect(userMessage(403, { code: 'forbidden', message: 'page stale' })).toBe('无权访问：不在您的管辖范围内')
    expect(userMessage(500, { message: 'internal server error' })).toBe('服务器出错了，请稍后再试')
    expect(userMessage(0, null)).toBe('连不上服务器，请检查网络后再试')
    expect(userMessage(418, 'teapot')).toBe('操作没有成功，请稍后再试')
    for (const s of [400, 401, 404, 409, 413, 429, 503]) expect(userMessage(s, {})).toMatch(/[\u4e00-\u9fff]/)
  })
})

describe('cookies and CSRF', () => {
  it('reads the CSRF cookie', () => {
    expect(readCookie('a=1; linkage_csrf=abc-_9; b=2', 'linkage_csrf')).toBe('abc-_9')
    expect(readCookie('linkage_csrf=', 'linkage_csrf')).toBeNull()
    expect(readCookie('xlinkage_csrf=1', 'linkage_csrf')).toBeNull()
  })
  it('only changes carry the header', () => {
    expect(changesState('GET')).toBe(false)
    expect(changesState('post')).toBe(true)
    expect(changesState('DELETE')).toBe(true)
  })
})

describe('click-through links round-trip', () => {
  it('builds and parses the issues filters', () => {
    const f = { node: 't1', light: 'red' as const, state: ['accepted', 'assigned'], red_card: true, measure: 'resolve_late' as const, from: '2026-10-01', to: '2026-12-02' }
    const link = issuesLink(f)
    expect(link.path).toBe('/issues')
    expect(link.query).toEqual({ node: 't1', light: 'red', state: 'accepted,assigned', red_card: '1', measure: 'resolve_late', from: '2026-10-01', to: '2026-12-02' })
    expect(parseIssueFilters(link.query)).toEqual(f)
    expect(parseIssueFilters({ light: 'purple', red_card: '0' })).toEqual({})
  })
  it('links the ledger', () => {
    expect(householdsLink('b1', true)).toEqual({ path: '/households', query: { node: 'b1', visited: '0' } })
  })
})

import { tileOf, tileCorner, tilesFor, zoomFor, tileUrl, areasGeoJson, bounds, projection, mercY, unmercY } from './tiles'
import { figureLink, columns, hasMisses, lightWord } from './dashboard'

describe('map maths', () => {
  it('numbers tiles like every slippy-map server', () => {
    // Beijing (116.39, 39.91) at z=10 is tile 843/387 (OSM numbering).
    expect(tileOf(116.39, 39.91, 10)).toEqual([843, 387])
    const [lon, lat] = tileCorner(843, 387, 10)
    expect(lon).toBeCloseTo(116.3672, 3)
    expect(lat).toBeGreaterThan(39.91)
    expect(tileOf(lon + 1e-9, lat - 1e-9, 10)).toEqual([843, 387])
    expect(tileUrl('https://t0.example/{z}/{x}/{y}.png', 1, 2, 3)).toBe('https://t0.example/3/1/2.png')
  })
  it('covers a view with a bounded number of tiles', () => {
    const t = tilesFor([109.7, 35.4, 109.95, 35.65], 12)
    expect(t.length).toBeGreaterThan(0)
    expect(t.length).toBeLessThanOrEqual(120)
    expect(tilesFor([70, 10, 140, 55], 12)).toEqual([])
    expect(zoomFor(256 / 360)).toBe(1)
    expect(zoomFor(4000)).toBe(12)
  })
  it('projects and unprojects', () => {
    expect(unmercY(mercY(35.5))).toBeCloseTo(35.5, 9)
    const p = projection.project([109.8, 35.5])
    expect(projection.unproject(p)[1]).toBeCloseTo(35.5, 9)
    expect(p[1]).toBeLessThan(projection.project([109.8, 35.4])[1])
  })
  it('builds closed polygons from boundaries and skips nodes without one', () => {
    const g = areasGeoJson([
      { node: { id: 't1', name: '一镇' }, ring: [[109, 35], [110, 35], [110, 36]] },
      { node: { id: 't2', name: '二镇' }, ring: [] },
    ])
    expect(g.features.length).toBe(1)
    expect(g.features[0].geometry.coordinates[0].length).toBe(4)
    expect(g.features[0].properties).toEqual({ name: 't1', label: '一镇' })
    expect(bounds([[1, 2], [3, -4]])).toEqual([1, -4, 3, 2])
    expect(bounds([])).toBeNull()
  })
})

describe('dashboard figures', () => {
  const f = { key: 'resolved_on_time', label: '按期办结率', text: '50.0%', value: 50, numerator: 1, denominator: 2, light: 'red' as const, cohort: 'resolve_due', misses: 'resolve_late' }
  it('opens the list behind a figure and behind its misses', () => {
    expect(figureLink(f, 't1', '2026-10-01', '2026-12-02')).toEqual({ path: '/issues', query: { node: 't1', measure: 'resolve_due', from: '2026-10-01', to: '2026-12-02' } })
    expect(figureLink(f, 't1', '2026-10-01', '2026-12-02', true).query.measure).toBe('resolve_late')
    const v = { ...f, key: 'visits', cohort: 'households', misses: 'households_not_visited' }
    expect(figureLink(v, 'b1', 'a', 'b', true)).toEqual({ path: '/households', query: { node: 'b1', visited: '0' } })
    expect(figureLink({ ...f, cohort: 'directives', misses: null }, 'b1', 'a', 'b', true)).toEqual({ path: '/directives', query: { node: 'b1' } })
  })
  it('orders columns and words lights', () => {
    const rows = [{ figures: [{ ...f, key: 'visits' }, { ...f, key: 'ack_branch' }, f, { ...f, key: 'reported' }] }]
    expect(columns(rows).map((c) => c.key)).toEqual(['reported', 'resolved_on_time', 'ack_branch', 'visits'])
    expect(hasMisses(f)).toBe(true)
    expect(hasMisses({ ...f, light: 'green' })).toBe(false)
    expect(lightWord('yellow')).toBe('预警')
  })
})

describe('the dashboard asked for at start-up', () => {
  it('takes node, from and to from the route query, nothing empty or repeated', () => {
    expect(dashboardQuery({ node: 't1', from: '2026-10-01', to: '', x: '1', tab: ['a'] })).toEqual({ node: 't1', from: '2026-10-01' })
    expect(dashboardQuery({ node: ['t1', 't2'] })).toEqual({})
  })
  it('keys equal queries equally and different ones differently', () => {
    expect(dashboardKey({ node: 't1' })).toBe(dashboardKey(dashboardQuery({ node: 't1', from: '' })))
    expect(dashboardKey({ node: 't1' })).not.toBe(dashboardKey({ node: 't2' }))
    expect(dashboardKey({ from: '2026-10-01' })).not.toBe(dashboardKey({ to: '2026-10-01' }))
    expect(dashboardKey({})).toBe(dashboardKey(dashboardQuery({})))
  })
})
