// Who is signed in (the console session), shared by every page.
import { ref } from 'vue'
import { api, call, type Schemas } from './api'

export type Session = Schemas['ConsoleSession']

export const session = ref<Session | null>(null)

let asking: Promise<void> | null = null
/** Asks the server who is signed in (after a reload); null when nobody is. One question at a time: src/main.ts
 *  asks at start-up while the router loads the page's code, and the router's guard awaits that same answer. */
export function loadSession(): Promise<void> {
  asking ??= call(api.GET('/v1/console/session'))
    .then((s) => { session.value = s }, () => { session.value = null })
    .finally(() => { asking = null })
  return asking
}

export async function signIn(user_id: string, password: string): Promise<void> {
  session.value = await call(api.POST('/v1/console/session', { body: { user_id, password } }))
}

export async function signOut(): Promise<void> {
  try {
    await call(api.DELETE('/v1/console/session'))
  } finally {
    session.value = null
  }
}
