import { describe, expect, it } from 'vitest'
import { actionBody, listQuery } from './issues'
import { parseIssueFilters } from './links'

describe('issues list query', () => {
  it('maps the agreed route filters to the API query', () => {
    const f = parseIssueFilters({ node: 't1', state: 'reported', red_card: '1', waiting: '1', category: 'dispute' })
    expect(listQuery(f, 2, ' 取暖 ')).toEqual({ page: 2, page_size: 20, state: 'reported', township: 't1', red_card: true, waiting: true, category: 'dispute', q: '取暖' })
  })
  it('several states list open issues; overdue is the red light', () => {
    const f = parseIssueFilters({ state: 'reported,accepted', overdue: '1' })
    expect(listQuery(f, 1)).toEqual({ page: 1, page_size: 20, light: 'red' })
  })
  it('ignores unknown states', () => {
    expect(listQuery(parseIssueFilters({ state: 'bogus' }), 1).state).toBeUndefined()
  })
})

describe('action body', () => {
  const form = { text: '三日内办结', choice: 'red', days: 3, person: 'gw1' }
  it('red card', () => expect(actionBody('supervise', 'note', form)).toEqual({ type: 'supervise', level: 'red', note: '三日内办结' }))
  it('extension decision', () => expect(actionBody('decide_extension', 'note', { ...form, choice: 'no' }).approved).toBe(false))
  it('assign and escalate', () => {
    expect(actionBody('assign', null, form)).toEqual({ type: 'assign', assignee_id: 'gw1' })
    expect(actionBody('escalate', 'reason', form)).toEqual({ type: 'escalate', reason: '三日内办结', to_node_id: '' })
  })
})
