// The administration pages (账号、设备; county administrators, issue #14 point 7): the new-account form's
// shape checks (the server checks the rest: password policy, the role's node level, who may), the words of
// each confirmation, the state of an account in words, and the lists' local search. Pure, unit-tested.

/** The roles an account may have (`Role`), with their zh-CN names (`labels.rs`). */
export const ROLES = [
  { value: 'county_staff', label: '县级干部' },
  { value: 'township_staff', label: '乡镇干部' },
  { value: 'branch_secretary', label: '支部书记' },
  { value: 'grid_worker', label: '网格员' },
  { value: 'liaison_head', label: '联户长' },
] as const
export type RoleValue = (typeof ROLES)[number]['value']

/** What the add-account form holds. */
export interface NewUserForm {
  id: string
  name: string
  role: RoleValue | ''
  node_id: string
  password: string
  /** The password typed a second time. */
  again: string
}

const ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * What is missing or malformed before the form is sent, in zh-CN, one line per field (empty: send it). Only
 * the shape: whether the password is strong enough and the node of the role's level is the server's decision.
 */
export function newUserProblems(f: NewUserForm): string[] {
  const out: string[] = []
  if (!ID.test(f.id.trim())) out.push('账号：请填写 1 到 64 位字母、数字、下划线或短横线')
  if (f.name.trim() === '') out.push('姓名：请填写')
  if (f.role === '') out.push('角色：请选择')
  if (!ID.test(f.node_id.trim())) out.push('所属单位：请填写单位编号（如 hl-t1）')
  out.push(...passwordProblems(f.password, f.again))
  return out
}

/** The initial password typed twice. */
export function passwordProblems(password: string, again: string): string[] {
  if (password === '') return ['初始密码：请填写']
  if (password !== again) return ['初始密码：两次输入的不一样']
  return []
}

/** The body of `POST /v1/console/users`. */
export function newUserBody(f: NewUserForm) {
  return { id: f.id.trim(), name: f.name.trim(), role: f.role as RoleValue, node_id: f.node_id.trim(), password: f.password }
}

/** An account as the list shows it (`UserRow`). */
export interface UserLike {
  id: string
  name: string
  node_name: string
  role_label: string
  disabled: boolean
  locked: boolean
  must_change_password: boolean
}

/** The account's state in words, and the tag's colour. */
export function userState(u: UserLike): { label: string; type: 'danger' | 'warning' | 'info' | 'success' } {
  if (u.disabled) return { label: '已停用', type: 'danger' }
  if (u.locked) return { label: '已锁定', type: 'warning' }
  if (u.must_change_password) return { label: '待修改初始密码', type: 'info' }
  return { label: '正常', type: 'success' }
}

/** The accounts matching the search words (account, name, unit or role); all for none. */
export function filterUsers<T extends UserLike>(rows: T[], words: string): T[] {
  const w = words.trim()
  if (!w) return rows
  return rows.filter((u) => [u.id, u.name, u.node_name, u.role_label].some((s) => s.includes(w)))
}

/** A device as the list shows it (`DeviceInfo`). */
export interface DeviceLike {
  device_id: string
  user_id: string
  device_name: string
  revoked: boolean
}

/** The devices matching the search words (device, account or device name); all for none. */
export function filterDevices<T extends DeviceLike>(rows: T[], words: string, showRevoked: boolean): T[] {
  const w = words.trim()
  return rows.filter((d) => (showRevoked || !d.revoked) && (!w || [d.device_id, d.user_id, d.device_name].some((s) => s.includes(w))))
}

/** The confirmation asked before each administration step: title and sentence. */
export function confirmation(
  step: 'add' | 'update' | 'reset' | 'disable' | 'revoke',
  who: { id: string; name?: string; device_name?: string },
): { title: string; text: string; button: string } {
  const person = who.name ? `${who.name}（${who.id}）` : who.id
  switch (step) {
    case 'add':
      return { title: '新建账号', text: `确定新建账号 ${person} 吗？首次登录须修改初始密码。`, button: '新建' }
    case 'update':
      return { title: '账号已存在', text: `账号 ${who.id} 已存在。继续将更新其姓名、角色和单位，并重置为新的初始密码，它的设备须重新登录。`, button: '更新并重置密码' }
    case 'reset':
      return { title: '重置密码', text: `确定把 ${person} 的密码重置为新的初始密码吗？它的设备须重新登录，首次登录须修改密码。`, button: '重置密码' }
    case 'disable':
      return { title: '停用账号', text: `确定停用 ${person} 吗？停用后不能再登录，它的设备下次联网时将清除本机数据。此操作不能在网页上撤销。`, button: '停用' }
    case 'revoke':
      return {
        title: '停用设备',
        text: `确定停用设备 ${who.device_name ? `“${who.device_name}”（${who.id}）` : who.id} 吗？它下次联网时将清除本机数据，须重新登录。`,
        button: '停用设备',
      }
  }
}

/** Rows a page of the administration lists (paged here: the server sends the whole list, a few hundred rows). */
export const PAGE_SIZE = 20

/** Page `page` (from 1) of `rows`; the last page when `page` is past the end. */
export function pageOf<T>(rows: T[], page: number): T[] {
  const last = Math.max(1, Math.ceil(rows.length / PAGE_SIZE))
  const p = Math.min(Math.max(1, Math.floor(page)), last)
  return rows.slice((p - 1) * PAGE_SIZE, p * PAGE_SIZE)
}
