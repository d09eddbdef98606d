// Reads a cookie from `document.cookie` text (the CSRF value of the console session is in `linkage_csrf`).

export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    if (part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim()
      return v === '' ? null : decodeURIComponent(v)
    }
  }
  return null
}

/** Methods that change something: they carry the CSRF header. */
export function changesState(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase())
}
