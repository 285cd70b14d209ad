import type { Test } from 'tap'
import type { Harness } from './helper.js'

// Small helpers shared by the reading-API tests (filters, search, facets, related, plans).

export type Headers = Record<string, string>
export type Item = Record<string, unknown> & { id: string }
export type List = { data: Item[]; meta: Record<string, unknown> & { nextCursor: string | null; prevCursor: string | null } }

export const get = (h: Harness, url: string, headers: Headers = {}) => h.app.inject({ method: 'GET', url, headers })

/** GET a list that must answer 200. */
export async function list(h: Harness, url: string, headers: Headers = {}): Promise<List> {
  const res = await get(h, url, headers)
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

/** The ids of a list, in order. */
export const ids = async (h: Harness, url: string, headers: Headers = {}) => (await list(h, url, headers)).data.map((a) => a.id)

export const withCursor = (url: string, cursor: string) => `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`

/** Asserts a 400 problem whose only field error is the query parameter at `pointer`. */
export async function badQuery(t: Test, h: Harness, url: string, pointer: string, headers: Headers = {}) {
  const res = await get(h, url, headers)
  t.equal(res.statusCode, 400, `${url} is a 400`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${url}: problem+json`)
  const body = res.statusCode === 400 ? res.json() : { errors: [] }
  t.match(body, { type: String, title: String, status: 400, detail: String }, `${url}: a problem body`)
  t.same(
    (body.errors ?? []).map((e: { in: string; pointer: string }) => [e.in, e.pointer]),
    [['query', pointer]],
    `${url}: names ${pointer}`,
  )
}

export const iso = (ms: number) => new Date(ms).toISOString()
