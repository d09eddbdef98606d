// Map maths for the console's map: Web Mercator (the projection of every tile server, 天地图 included), the
// tiles covering a view, and the GeoJSON of the org tree's boundaries. Pure, unit-tested.

const R2D = 180 / Math.PI
const D2R = Math.PI / 180
export const MAX_LAT = 85.05112878

/** Mercator y of a latitude, in "degrees" (so x = lon and y share a unit); screen-down is negative. */
export function mercY(lat: number): number {
  const l = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat))
  return Math.log(Math.tan(Math.PI / 4 + (l * D2R) / 2)) * R2D
}

export function unmercY(y: number): number {
  return (2 * Math.atan(Math.exp(y * D2R)) - Math.PI / 2) * R2D
}

/** ECharts' geo projection: [lon, lat] → [x, y] with y growing downwards. */
export const projection = {
  project: (p: number[]) => [p[0], -mercY(p[1])],
  unproject: (p: number[]) => [p[0], unmercY(-p[1])],
}

/** The tile (x, y) holding a point at zoom z (slippy-map numbering, y from the north). */
export function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z
  const x = Math.floor(((lon + 180) / 360) * n)
  const y = Math.floor(((180 - mercY(lat)) / 360) * n)
  return [Math.min(n - 1, Math.max(0, x)), Math.min(n - 1, Math.max(0, y))]
}

/** The north-west corner [lon, lat] of a tile. */
export function tileCorner(x: number, y: number, z: number): [number, number] {
  const n = 2 ** z
  return [(x / n) * 360 - 180, unmercY(180 - (y / n) * 360)]
}

/** The zoom whose 256-px tiles come closest to the view's scale (`pxPerDegree`: pixels per degree of lon). */
export function zoomFor(pxPerDegree: number): number {
  return Math.max(1, Math.min(18, Math.round(Math.log2((pxPerDegree * 360) / 256))))
}

/** The tiles covering a view [west, south, east, north] at zoom z (at most `max`, else none). */
export function tilesFor(view: [number, number, number, number], z: number, max = 120): Array<[number, number]> {
  const [w, s, e, n] = view
  const [x0, y0] = tileOf(w, n, z)
  const [x1, y1] = tileOf(e, s, z)
  if ((x1 - x0 + 1) * (y1 - y0 + 1) > max) return []
  const out: Array<[number, number]> = []
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) out.push([x, y])
  return out
}

/** A tile's URL from the configured template (`{z}`, `{x}`, `{y}`). */
export function tileUrl(template: string, x: number, y: number, z: number): string {
  return template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y))
}

export interface AreaLike {
  node: { id: string; name: string }
  ring: number[][]
}

/** The GeoJSON of the areas that have a boundary (closed rings, one Polygon each, named by node id). */
export function areasGeoJson(areas: AreaLike[]) {
  return {
    type: 'FeatureCollection' as const,
    features: areas
      .filter((a) => a.ring.length >= 3)
      .map((a) => {
        const ring = a.ring.map((p) => [p[0], p[1]])
        const [f, l] = [ring[0], ring[ring.length - 1]]
        if (f[0] !== l[0] || f[1] !== l[1]) ring.push([f[0], f[1]])
        return { type: 'Feature' as const, properties: { name: a.node.id, label: a.node.name }, geometry: { type: 'Polygon' as const, coordinates: [ring] } }
      }),
  }
}

/** [west, south, east, north] of points [lon, lat, ...] (null when none). */
export function bounds(points: number[][]): [number, number, number, number] | null {
  if (points.length === 0) return null
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity]
  for (const p of points) {
    w = Math.min(w, p[0]); e = Math.max(e, p[0]); s = Math.min(s, p[1]); n = Math.max(n, p[1])
  }
  return [w, s, e, n]
}
