import { describe, expect, it } from 'vitest'
import {
  answerOutcome, composeBody, coverageText, directiveFiltersQuery, directiveListQuery, ownAckWords, parseDirectiveFilters,
  photoRefusal, progressValue, reviewBody, subtreeWords, timeText,
} from './directives'
import { directivesLink } from './links'

describe('directives list filters', () => {
  it('reads the dashboard link back and makes the API query', () => {
    const f = parseDirectiveFilters(directivesLink('hl-t1').query)
    expect(f).toEqual({ node: 'hl-t1' })
    expect(directiveListQuery(f, 2)).toEqual({ node: 'hl-t1', page: 2, page_size: 20 })
  })
  it('keeps side and waiting, drops unknown values', () => {
    const f = parseDirectiveFilters({ side: 'issued', waiting: '1', node: '' })
    expect(f).toEqual({ side: 'issued', waiting: true })
    expect(parseDirectiveFilters({ side: 'mine', waiting: '0' })).toEqual({})
    expect(directiveListQuery(f, 0)).toEqual({ side: 'issued', waiting: true, page: 1, page_size: 20 })
  })
  it('round-trips through the route query', () => {
    const f = { node: 'hl', side: 'received' as const, waiting: true }
    expect(parseDirectiveFilters(directiveFiltersQuery(f))).toEqual(f)
    expect(directiveFiltersQuery({})).toEqual({})
  })
})

describe('coverage figures', () => {
  it('shows acked/total with the server percent', () => {
    expect(coverageText(2, 8, 25)).toBe('2/8（25%）')
    expect(coverageText(1, 3, 33.333)).toBe('1/3（33%）')
    expect(coverageText(0, 0, null)).toBe('—')
    expect(coverageText(1, 2, null)).toBe('1/2')
  })
  it('clamps the progress bar', () => {
    expect(progressValue(null)).toBe(0)
    expect(progressValue(66.666)).toBe(66.7)
    expect(progressValue(120)).toBe(100)
    expect(progressValue(Number.NaN)).toBe(0)
  })
  it('words a tree node', () => {
    const n = { name: '石堡镇', level_label: '乡镇', acked_at_ms: 5, relayed: true, issuer: false, nodes_acked: 3, nodes_total: 9,
      nodes_percent: 33.3, households_acked: 0, households_total: 40, households_percent: 0 }
    expect(ownAckWords(n)).toBe('已签收·已转发')
    expect(ownAckWords({ ...n, relayed: false })).toBe('已签收')
    expect(ownAckWords({ ...n, acked_at_ms: null })).toBe('未签收')
    expect(ownAckWords({ ...n, issuer: true })).toBe('下达单位')
    expect(subtreeWords(n)).toBe('单位 3/9（33%） · 农户 0/40（0%）')
    expect(subtreeWords({ ...n, nodes_total: 0, households_total: 0 })).toBe('')
  })
  it('shows times in China time', () => {
    expect(timeText(Date.UTC(2026, 11, 2, 1, 5, 0))).toBe('2026/12/2 09:05:00')
    expect(timeText(null)).toBe('')
  })
})

describe('compose and review bodies', () => {
  it('trims the text and sends the due time in ms', () => {
    const due = new Date(Date.UTC(2026, 11, 5, 0, 0, 0))
    const body = composeBody({ kind: 'task', title: ' 清理 ', body: ' 全文 ', due, target: 'hl-t1', photos: ['a'] }, 'op-12345678')
    expect(body).toEqual({ op_id: 'op-12345678', kind: 'task', title: '清理', body: '全文', due_at_ms: due.getTime(), target_node_id: 'hl-t1', photos: ['a'] })
    expect(composeBody({ kind: 'notice', title: 't', body: 'b', due: null, target: 'hl', photos: [] }, 'x').due_at_ms).toBeNull()
    expect(composeBody({ kind: 'notice', title: 't', body: 'b', due: 42, target: 'hl', photos: [] }, 'x').due_at_ms).toBe(42)
  })
  it('a review sends its reason only when returning', () => {
    expect(reviewBody('op', 'b1', true, '缺照片')).toEqual({ op_id: 'op', node_id: 'b1', accepted: true, reason: '' })
    expect(reviewBody('op', 'b1', false, ' 缺照片 ')).toEqual({ op_id: 'op', node_id: 'b1', accepted: false, reason: '缺照片' })
  })
  it('an answer is done when applied now or before', () => {
    expect(answerOutcome({ outcome: 'applied', message: '已下达 / issued' })).toEqual({ done: true, message: '已下达' })
    expect(answerOutcome({ outcome: 'duplicate', message: '已处理过' }).done).toBe(true)
    expect(answerOutcome({ outcome: 'rejected', message: '任务须填写办结时限。 / due' })).toEqual({ done: false, message: '任务须填写办结时限。' })
  })
  it('refuses a photo before sending it', () => {
    const max = 10 * 1024 * 1024
    expect(photoRefusal({ name: 'a.jpg', type: 'image/jpeg', size: 100 }, max)).toBeNull()
    expect(photoRefusal({ name: 'a.JPEG', type: '', size: 100 }, max)).toBeNull()
    expect(photoRefusal({ name: 'a.png', type: 'image/png', size: 100 }, max)).toBe('请选择 JPG 照片')
    expect(photoRefusal({ name: 'a.jpg', type: 'image/jpeg', size: max + 1 }, max)).toBe('照片过大：每张最大 10 MB')
  })
})
