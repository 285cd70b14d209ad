import { createHash } from 'node:crypto'
import type { FastifyReply } from 'fastify'
import { badRequest } from './errors.js'

/** A position in a keyset order: the sort values of a row, ending with its id. */
export type SortKey = readonly (string | number)[]
export type Direction = 'next' | 'prev'
export type Seek = { key: SortKey; direction: Direction }

type CursorPayload = { k: SortKey; d: 'n' | 'p'; f: string }

/**
 * A short fingerprint of everything that shapes a query except the page position, carried in
 * its cursors so that a cursor replayed against another query is refused rather than misread.
 */
export function fingerprint(query: Record<string, unknown>): string {
  const shape = Object.entries(query)
    .filter(([name, value]) => name !== 'cursor' && name !== 'limit' && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return createHash('sha256').update(JSON.stringify(shape)).digest('base64url').slice(0, 10)
}

export function encodeCursor(key: SortKey, direction: Direction, print: string): string {
  const payload: CursorPayload = { k: key, d: direction === 'next' ? 'n' : 'p', f: print }
  return Buffer.from(JSON.stringify(payload)).toString('base64url')
}

const invalidCursor = (message: string) =>
  badRequest(`The cursor is not valid: ${message}.`, [{ in: 'query', pointer: '/cursor', message }])

export function decodeCursor(raw: string, print: string, keyLength: number): Seek {
  let payload: CursorPayload
  try {
    payload = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
  } catch {
    throw invalidCursor('it is not a cursor this API issued')
  }
  const { k, d, f } = payload ?? {}
  const wellFormed =
    Array.isArray(k) &&
    k.length === keyLength &&
    k.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) &&
    (d === 'n' || d === 'p')
  if (!wellFormed) throw invalidCursor('it is not a cursor this API issued')
  if (f !== print) throw invalidCursor('it was issued for a different query (filters or sort changed)')
  return { key: k, direction: d === 'n' ? 'next' : 'prev' }
}

export type PageMeta = { limit: number; nextCursor: string | null; prevCursor: string | null }

/**
 * Turns rows fetched with `limit + 1` (in reverse order when seeking backwards) into a page
 * and the cursors either side of it.
 */
export function toPage<T>(
  rows: T[],
  options: { limit: number; seek: Seek | undefined; keyOf: (row: T) => SortKey; print: string },
): { items: T[]; meta: PageMeta } {
  const { limit, seek, keyOf, print } = options
  const hasMore = rows.length > limit
  const items = rows.slice(0, limit)
  const cursor = (row: T | undefined, direction: Direction) =>
    row === undefined ? null : encodeCursor(keyOf(row), direction, print)
  if (seek?.direction === 'prev') {
    items.reverse()
    return {
      items,
      meta: { limit, prevCursor: hasMore ? cursor(items[0], 'prev') : null, nextCursor: cursor(items.at(-1), 'next') },
    }
  }
  return {
    items,
    meta: {
      limit,
      nextCursor: hasMore ? cursor(items.at(-1), 'next') : null,
      prevCursor: seek ? cursor(items[0], 'prev') : null,
    },
  }
}

/** RFC 8288 Link header with the next and previous pages, relative to the request URL. */
export function setLinkHeader(reply: FastifyReply, meta: PageMeta) {
  const url = new URL(reply.request.url, 'http://localhost')
  const links: string[] = []
  for (const [rel, cursor] of [
    ['next', meta.nextCursor],
    ['prev', meta.prevCursor],
  ] as const) {
    if (!cursor) continue
    url.searchParams.set('cursor', cursor)
    links.push(`<${url.pathname}${url.search}>; rel="${rel}"`)
  }
  if (links.length > 0) reply.header('link', links.join(', '))
}

/**
 * The whole list response: decodes the cursor, fetches one row more than the page, and returns
 * the envelope `{ data, meta }` with the Link header set.
 */
export function listPage<T>(
  reply: FastifyReply,
  options: {
    limit: number
    cursor?: string | undefined
    query: Record<string, unknown>
    keyOf: (row: NoInfer<T>) => SortKey
    keyLength: number
    fetch: (limit: number, seek: Seek | undefined) => T[]
  },
) {
  const { limit, cursor, keyOf, keyLength } = options
  const print = fingerprint(options.query)
  const seek = cursor === undefined ? undefined : decodeCursor(cursor, print, keyLength)
  const page = toPage(options.fetch(limit + 1, seek), { limit, seek, keyOf, print })
  setLinkHeader(reply, page.meta)
  return { data: page.items, meta: page.meta }
}
