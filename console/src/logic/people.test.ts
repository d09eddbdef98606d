import { describe, expect, it } from 'vitest'
import { PAGE_SIZE, confirmation, filterDevices, filterUsers, newUserBody, newUserProblems, pageOf, userState, type NewUserForm } from './people'

const good: NewUserForm = { id: 'ts9', name: ' 李建国 ', role: 'township_staff', node_id: 'hl-t1', password: 'Qingshan-2026-chun', again: 'Qingshan-2026-chun' }

describe('new account form', () => {
  it('sends a well-formed form, trimmed', () => {
    expect(newUserProblems(good)).toEqual([])
    expect(newUserBody(good)).toEqual({ id: 'ts9', name: '李建国', role: 'township_staff', node_id: 'hl-t1', password: 'Qingshan-2026-chun' })
  })
  it('names every missing or malformed field in zh-CN', () => {
    const p = newUserProblems({ id: 'a b', name: ' ', role: '', node_id: '', password: 'x', again: 'y' })
    expect(p).toHaveLength(5)
    expect(p[0]).toMatch(/^账号/)
    expect(p[4]).toBe('初始密码：两次输入的不一样')
    for (const line of p) expect(line).toMatch(/[\u4e00-\u9fff]/)
    expect(newUserProblems({ ...good, password: '', again: '' })).toEqual(['初始密码：请填写'])
  })
  it('leaves the password policy to the server (a short password is sent)', () => {
    expect(newUserProblems({ ...good, password: '1', again: '1' })).toEqual([])
  })
})

const users = [
  { id: 'cs1', name: '张县长', node_name: '黄龙县', role_label: '县级干部', disabled: false, locked: false, must_change_password: false },
  { id: 'ts1', name: '李镇长', node_name: '石堡镇', role_label: '乡镇干部', disabled: true, locked: true, must_change_password: true },
  { id: 'gw1-1', name: '王网格', node_name: '石堡村', role_label: '网格员', disabled: false, locked: true, must_change_password: false },
  { id: 'gw1-2', name: '赵网格', node_name: '石堡村', role_label: '网格员', disabled: false, locked: false, must_change_password: true },
]

describe('account list', () => {
  it('puts the state in words, disabled first', () => {
    expect(users.map((u) => userState(u).label)).toEqual(['正常', '已停用', '已锁定', '待修改初始密码'])
  })
  it('searches by account, name, unit or role', () => {
    expect(filterUsers(users, '石堡').map((u) => u.id)).toEqual(['ts1', 'gw1-1', 'gw1-2'])
    expect(filterUsers(users, '网格员').map((u) => u.id)).toEqual(['gw1-1', 'gw1-2'])
    expect(filterUsers(users, ' ')).toHaveLength(4)
  })
})

describe('device list', () => {
  const devices = [
    { device_id: 'dev-a', user_id: 'gw1-1', device_name: '华为 Mate', revoked: false },
    { device_id: 'dev-b', user_id: 'gw1-1', device_name: '小米', revoked: true },
    { device_id: 'console-x', user_id: 'cs1', device_name: '网页控制台', revoked: false },
  ]
  it('hides revoked devices unless asked, and searches', () => {
    expect(filterDevices(devices, '', false).map((d) => d.device_id)).toEqual(['dev-a', 'console-x'])
    expect(filterDevices(devices, 'gw1-1', true).map((d) => d.device_id)).toEqual(['dev-a', 'dev-b'])
  })
})

describe('confirmations', () => {
  it('say what will happen, in zh-CN', () => {
    expect(confirmation('disable', { id: 'ts1', name: '李镇长' }).text).toContain('李镇长（ts1）')
    expect(confirmation('disable', { id: 'ts1' }).text).toContain('清除本机数据')
    expect(confirmation('revoke', { id: 'dev-a', device_name: '华为 Mate' }).text).toContain('“华为 Mate”（dev-a）')
    expect(confirmation('update', { id: 'ts1' }).text).toContain('已存在')
    for (const step of ['add', 'update', 'reset', 'disable', 'revoke'] as const) {
      const c = confirmation(step, { id: 'x' })
      expect(c.title + c.text + c.button).not.toMatch(/[A-Za-z]{4,}/)
    }
  })
})

describe('paging the lists', () => {
  it('cuts pages of PAGE_SIZE and keeps a page past the end on the last one', () => {
    const rows = Array.from({ length: 45 }, (_, i) => i)
    expect(PAGE_SIZE).toBe(20)
    expect(pageOf(rows, 1)).toEqual(rows.slice(0, 20))
    expect(pageOf(rows, 3)).toEqual([40, 41, 42, 43, 44])
    expect(pageOf(rows, 9)).toEqual([40, 41, 42, 43, 44])
    expect(pageOf([], 1)).toEqual([])
  })
})
