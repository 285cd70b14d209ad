import { unprocessable, type FieldError } from '../../http/errors.js'
import type { ArticlesRepository } from './articles.repository.js'

type Lookup = Pick<ArticlesRepository, 'tagsByRef' | 'sourceByRef'>
type Tag = ReturnType<Lookup['tagsByRef']>[number]
type Source = NonNullable<ReturnType<Lookup['sourceByRef']>>
export type ResolvedReferences = { sourceId?: string | null; tagIds?: string[]; source?: Source | null; tags?: Tag[] }

/**
 * Resolves the source and tags an article names (by slug or id) to ids (and the rows, as an
 * article embeds them). Every unknown or repeated reference is reported at once, as a 422 with
 * a pointer to each.
 */
export function resolveReferences(
  lookup: Lookup,
  refs: { source?: string | null | undefined; tags?: readonly string[] | undefined },
): ResolvedReferences {
  const errors: FieldError[] = []
  const resolved: ResolvedReferences = {}

  if (refs.source === null) {
    resolved.sourceId = null
    resolved.source = null
  } else if (refs.source !== undefined) {
    const source = lookup.sourceByRef(refs.source)
    if (source) {
      resolved.sourceId = source.id
      resolved.source = source
    } else errors.push({ in: 'body', pointer: '/source', message: `there is no source "${refs.source}"` })
  }

  if (refs.tags !== undefined) {
    const found = lookup.tagsByRef(refs.tags)
    const byRef = new Map(found.flatMap((tag) => [[tag.id, tag] as const, [tag.slug, tag] as const]))
    const seen = new Map<string, Tag>()
    refs.tags.forEach((ref, i) => {
      const tag = byRef.get(ref)
      if (!tag) errors.push({ in: 'body', pointer: `/tags/${i}`, message: `there is no tag "${ref}"` })
      else if (seen.has(tag.id)) errors.push({ in: 'body', pointer: `/tags/${i}`, message: `names the tag "${tag.slug}" again` })
      else seen.set(tag.id, tag)
    })
    resolved.tags = [...seen.values()]
    resolved.tagIds = [...seen.keys()]
  }

  if (errors.length > 0) {
    throw unprocessable(errors.map((e) => e.message).join('; ') + '.', errors)
  }
  return resolved
}
