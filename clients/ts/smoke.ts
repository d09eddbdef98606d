// Proves a client generated from the OpenAPI document works against a real server: signs in as a grid
// worker, pushes one visit, and pulls it back from the change feed. Usage: node out/smoke.js <server-url>
import { linkageClient, type Schemas } from "./src/client.js";

function fail(what: string, detail: unknown): never {
  console.error(`ts client smoke: ${what}:`, JSON.stringify(detail));
  process.exit(1);
}

const baseUrl = process.argv[2] ?? fail("usage", "node out/smoke.js <server-url>");
const api = linkageClient(baseUrl);
const signIn = await api.POST("/v1/auth/sign-in", {
  body: { user_id: "gw1-1", password: "linkage2026", device_id: `ts-smoke-${Date.now()}`, device_name: "TypeScript 客户端" },
});
const session = signIn.data ?? fail("sign-in failed", signIn.error);
api.setToken(session.token);

const bundle = (await api.GET("/v1/bundle")).data ?? fail("bundle", "no data");
const household = bundle.households?.find((h) => h.lat != null && h.lon != null) ?? fail("no household with a point", bundle.households?.length);

// The cursor at the end of the feed, so the pull below shows only what is new.
let after = 0;
for (;;) {
  const page = (await api.GET("/v1/changes", { params: { query: { after, limit: 1000 } } })).data ?? fail("pull", "no data");
  after = page.next_cursor;
  if (!page.has_more) break;
}

const now = Date.now() + (session.server_time_ms - Date.now());
const visit: Schemas["Visit"] = {
  id: crypto.randomUUID(),
  household_id: household.id,
  visitor_id: session.user_id,
  visitor_level: session.node_level,
  kind: "routine",
  started_at_ms: now - 10 * 60_000,
  ended_at_ms: now - 60_000,
  fix: { lat: household.lat!, lon: household.lon!, accuracy_m: 6, fix_time_ms: now - 5 * 60_000, mocked: false },
  distance_m: 0,
  verdict: "on_site",
  notes: "TypeScript 客户端走访：家中安好",
  evidence: [],
  issue_id: null,
  amends_visit_id: null,
};
const op: Schemas["Operation"] = {
  op_id: crypto.randomUUID(),
  hlc: `${String(now).padStart(15, "0")}-000000-tssmoke`,
  kind: "visit_recorded",
  body: visit,
};
const pushed = (await api.POST("/v1/ops", { body: { ops: [op] } })).data ?? fail("push", "no data");
const result = pushed.results[0];
if (result?.outcome !== "applied") fail("the visit was not applied", result);

const pulled = (await api.GET("/v1/changes", { params: { query: { after, limit: 1000 } } })).data ?? fail("pull", "no data");
const back = pulled.changes.find((c) => c.op.op_id === op.op_id);
if (!back || back.op.kind !== "visit_recorded" || back.op.body.id !== visit.id || back.op.body.household_id !== household.id) {
  fail("the pushed visit did not come back", pulled.changes.map((c) => c.op.op_id));
}
console.log(
  `ts client smoke: signed in as ${session.user_name} (${session.role}), pushed visit ${visit.id} to household ` +
    `${household.id}, pulled it back at seq ${back.seq}`,
);
