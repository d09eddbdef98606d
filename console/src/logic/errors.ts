// What a user reads when a console request fails: the server's zh-CN message (the part before " / "; the
// English after it is for logs), else a plain zh-CN sentence for the status. Never an HTTP status or an
// exception name.

/** The error body every API error carries (`ErrorBody`). */
export interface ErrorBodyLike {
  code?: string
  message?: string
}

/** The zh-CN part of a server message "中文 / English". */
export function zhPart(message: string): string {
  const i = message.indexOf(' / ')
  const zh = (i >= 0 ? message.slice(0, i) : message).trim()
  return /[\u4e00-\u9fff]/.test(zh) ? zh : ''
}

const byCode: Record<string, string> = {
  unauthorized: '请先登录',
  token_expired: '登录已过期，请重新登录',
  device_revoked: '登录已失效，请重新登录',
  forbidden: '无权访问：不在您的管辖范围内',
  not_found: '找不到该记录',
  invalid_input: '填写的内容有误，请检查后再试',
  payload_too_large: '文件太大，请换一个小一些的文件',
  busy: '服务器繁忙，请稍后再试',
  rate_limited: '操作过于频繁，请稍后再试',
  account_locked: '账号已锁定，请联系管理员解锁',
  password_change_required: '这是初始密码，请先在手机上登录并修改密码',
  weak_password: '新密码不符合要求',
  internal: '服务器出错了，请稍后再试',
}

/** The message to show for a failed request. */
export function userMessage(status: number, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBodyLike
  if (typeof b.message === 'string') {
    const zh = zhPart(b.message)
    if (zh) return zh
  }
  if (typeof b.code === 'string' && byCode[b.code]) return byCode[b.code]
  if (status === 0) return '连不上服务器，请检查网络后再试'
  if (status === 401) return byCode.unauthorized
  if (status === 403) return byCode.forbidden
  if (status === 404) return byCode.not_found
  if (status >= 500) return byCode.internal
  return '操作没有成功，请稍后再试'
}
