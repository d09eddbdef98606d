// The typed client of the Linkage sync API (五级联动): openapi-fetch over the types openapi-typescript
// generates from the server's OpenAPI document (src/schema.d.ts, from ../openapi.json — both generated,
// never edited by hand; scripts/test-ts-client.sh regenerates and diffs them). The console uses this.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

/** Every schema of the API, by name (e.g. `Schemas["Visit"]`). */
export type Schemas = components["schemas"];
/** The typed client: `api.GET("/v1/changes", { params: { query: { after } } })`, ... */
export type LinkageClient = Client<paths>;

/**
 * A client for the server at `baseUrl`. With `token` (from sign-in) every request carries
 * `Authorization: Bearer <token>`; `setToken` swaps it after a refresh.
 */
export function linkageClient(baseUrl: string, token?: string): LinkageClient & { setToken(t: string): void } {
  let current = token;
  const client = createClient<paths>({ baseUrl });
  client.use({
    onRequest({ request }) {
      if (current) request.headers.set("Authorization", `Bearer ${current}`);
      return request;
    },
  });
  return Object.assign(client, { setToken: (t: string) => { current = t; } });
}
