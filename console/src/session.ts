// Who is signed in (the console session), shared by every page.
import { ref } from 'vue'
import { api, call, type Schemas } from './api'

export type Session = Schemas['ConsoleSession']

export const session = ref<Session | null>(null)

/** Asks the server who is signed in (after a reload); null when nobody is. */
export async function loadSession(): Promise<void> {
  try {
    session.value = await call(api.GET('/v1/console/session'))
  } catch {
    session.value = null
  }
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
