import type { DbOrTx } from '../../db/client.js'
import { unprocessable, type FieldError } from '../../http/errors.js'
import { createSourcesRepository } from '../sources/sources.repository.js'
import { createTagsRepository } from '../tags/tags.repository.js'

/**
 * Resolves the source and tags an article names (by slug or id) to ids. Every unknown or
 * repeated reference is reported at once, as a 422 with a pointer to each.
 */
export function resolveReferences(
  db: DbOrTx,
  refs: { source?: string | null | undefined; tags?: readonly string[] | undefined },
): { sourceId?: string | null; tagIds?: string[] } {
  const errors: FieldError[] = []
  const resolved: { sourceId?: string | null; tagIds?: string[] } = {}

  if (refs.source === null) resolved.sourceId = null
  else if (refs.source !== undefined) {
    const source = createSourcesRepository(db).find(refs.source)
    if (source) resolved.sourceId = source.id
    else errors.push({ in: 'body', pointer: '/source', message: `there is no source "${refs.source}"` })
  }

  if (refs.tags !== undefined) {
    const found = createTagsRepository(db).findMany(refs.tags)
    const byRef = new Map(found.flatMap((tag) => [[tag.id, tag] as const, [tag.slug, tag] as const]))
    const seen = new Set<string>()
    refs.tags.forEach((ref, i) => {
      const tag = byRef.get(ref)
      if (!tag) errors.push({ in: 'body', pointer: `/tags/${i}`, message: `there is no tag "${ref}"` })
      else if (seen.has(tag.id)) errors.push({ in: 'body', pointer: `/tags/${i}`, message: `names the tag "${tag.slug}" again` })
      seen.add(tag?.id ?? '')
    })
    resolved.tagIds = [...seen].filter((id) => id !== '')
  }

  if (errors.length > 0) {
    throw unprocessable(errors.map((e) => e.message).join('; ') + '.', errors)
  }
  return resolved
}
