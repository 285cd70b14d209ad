import { checkIfMatch } from '../http/conditional.js'
import { notFound, slugTaken } from '../http/errors.js'
import { slugFrom, uniqueSlug } from '../slugs.js'

// The writes tags and sources share; what differs (their fields, what renaming them does to
// articles, whether they may be deleted) stays in each service.

type Named = { id: string; slug: string; version: number }
type NamedRepository<T extends Named, F extends keyof T> = {
  find(idOrSlug: string): T | undefined
  slugTaken(slug: string): boolean
  update(id: string, changes: Pick<T, F> & { updatedAt: number; version: number }): T
}

/** The slug a new row gets: the one asked for if free (else 409), or one made from its name. */
export function slugForNew(repo: { slugTaken(slug: string): boolean }, input: { slug?: string | undefined; name: string }, id: string) {
  if (input.slug !== undefined && repo.slugTaken(input.slug)) throw slugTaken(input.slug)
  return input.slug ?? uniqueSlug(slugFrom(input.name, id.replace('_', '-')), repo.slugTaken)
}

/**
 * A JSON merge patch on a named row: 404 when missing, 412 on a stale If-Match, nothing written
 * when nothing changes, 409 when the new slug is taken, otherwise version + 1. Returns the row
 * as it now is and the fields that changed.
 */
export function patchNamed<T extends Named, F extends keyof T & string>(
  repo: NamedRepository<T, F>,
  target: { idOrSlug: string; kind: string; ifMatch: string | undefined },
  patch: Partial<Pick<T, F>>,
  fields: readonly F[],
  now: number,
): { row: T; changed: F[] } {
  const current = repo.find(target.idOrSlug)
  if (!current) throw notFound(`There is no ${target.kind} "${target.idOrSlug}".`)
  checkIfMatch(target.ifMatch, current.version)
  const next = { ...current, ...patch }
  const changed = fields.filter((field) => next[field] !== current[field])
  if (changed.length === 0) return { row: current, changed }
  if (next.slug !== current.slug && repo.slugTaken(next.slug)) throw slugTaken(next.slug)
  const values = Object.fromEntries(fields.map((field) => [field, next[field]])) as Pick<T, F>
  return { row: repo.update(current.id, { ...values, updatedAt: now, version: current.version + 1 }), changed }
}
