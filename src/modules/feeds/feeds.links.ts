import type { FastifyRequest } from 'fastify'
import { badRequest } from '../../http/errors.js'
import type { PageMeta } from '../../http/pagination.js'

/** Absolute URLs a feed document names: itself, its pages, and what it is a feed of. */
export type FeedLinks = {
  origin: string
  /** This page, as requested. */
  self: string
  /** The first page: this URL without a cursor. */
  first: string
  next: string | null
  previous: string | null
  /** The same list in the JSON API. */
  home: string
  /** The logical feed, whatever the page or page size: the Atom feed id. */
  id: string
}

function originOf(request: FastifyRequest): string {
  const given = `${request.protocol}://${request.host}`
  const parsed = URL.canParse(given) ? new URL(given) : undefined
  // Only a host and port: "example.com/x" or "user@example.com" would put something else into every link.
  if (parsed === undefined || parsed.href !== `${parsed.origin}/`) {
    throw badRequest('The Host header is not a valid host name.', [
      { in: 'headers', pointer: '/host', message: 'is not a valid host name' },
    ])
  }
  return parsed.origin
}

/** Built from the request, so the links work behind whatever host name the client used. */
export function feedLinks(request: FastifyRequest, meta: PageMeta): FeedLinks {
  const origin = originOf(request)
  const url = new URL(request.url, origin)
  const withParams = (base: string, changes: Record<string, string | null>) => {
    const target = new URL(base, origin)
    target.search = url.search
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) target.searchParams.delete(name)
      else target.searchParams.set(name, value)
    }
    return target.href
  }
  return {
    origin,
    self: url.href,
    first: withParams(url.pathname, { cursor: null }),
    next: meta.nextCursor === null ? null : withParams(url.pathname, { cursor: meta.nextCursor }),
    previous: meta.prevCursor === null ? null : withParams(url.pathname, { cursor: meta.prevCursor }),
    home: withParams('/v1/articles', { cursor: null, limit: null }),
    id: withParams(url.pathname, { cursor: null, limit: null }),
  }
}
