// The console's typed API client: openapi-fetch over the types generated from the server's OpenAPI document
// (clients/ts/src/schema.d.ts, the same types as the TypeScript client). Cookie session: the browser sends the
// HttpOnly session cookie itself; every request that changes something carries `X-CSRF-Token`. A failed call
// throws an ApiFailure whose message is the zh-CN sentence to show.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, components } from '../../clients/ts/src/schema'
import { userMessage } from './logic/errors'
import { readCookie, changesState } from './logic/cookies'

export type Schemas = components['schemas']

export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message)
  }
}

/** Called when the server says the session is gone (401): the app shows the sign-in page. */
let onSignedOut: () => void = () => {}
export function setSignedOutHandler(f: () => void) {
  onSignedOut = f
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (changesState(request.method)) {
      const token = readCookie(document.cookie, 'linkage_csrf')
      if (token) request.headers.set('X-CSRF-Token', token)
    }
    return request
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/v1/console/session')) onSignedOut()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: location.origin, credentials: 'same-origin' })
api.use(csrf)

/** Awaits an openapi-fetch call: its data, or an ApiFailure with the zh-CN message. */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response }
  try {
    r = await p
  } catch {
    throw new ApiFailure(userMessage(0, null), 0, 'network')
  }
  if (r.response.ok && r.data !== undefined) return r.data
  const code = (r.error as { code?: string } | undefined)?.code ?? ''
  throw new ApiFailure(userMessage(r.response.status, r.error), r.response.status, code)
}
