import { z } from 'zod'
import type { DbOrTx } from '../../db/client.js'
import { TAG_KINDS } from '../../db/schema.js'
import type { Deps } from '../../deps.js'
import { HttpProblem } from '../../http/errors.js'
import { requiredText, SlugSchema } from '../../http/schemas.js'
import { toFieldErrors } from '../../http/validation.js'
import { ArticleCreateSchema, ArticleSchema, ArticleStatusSchema } from '../articles/articles.schemas.js'
import type { ArticleUpsert } from '../articles/articles.service.js'
import { createSourcesRepository } from '../sources/sources.repository.js'
import { createSourcesService } from '../sources/sources.service.js'
import { createTagsRepository } from '../tags/tags.repository.js'
import { createTagsService } from '../tags/tags.service.js'

// A line of an import: the create shape, or a line of the export (GET /v1/export), whose
// read-only fields are accepted and ignored and whose embedded tags and source count by slug.

const Ref = z.string().min(1).max(200)
const EmbeddedTag = z.looseObject({ slug: Ref, name: z.string().max(200).optional(), kind: z.enum(TAG_KINDS).optional() })
const EmbeddedSource = z.looseObject({ slug: Ref, name: z.string().max(200).optional() })
type TagRef = string | z.infer<typeof EmbeddedTag>
type SourceRef = string | z.infer<typeof EmbeddedSource>

const { status: _status, tags: _tags, source: _source, ...createFields } = ArticleCreateSchema.shape
/** What a line sets; everything else an exported article carries is read-only. */
const WRITABLE = [...Object.keys(createFields), 'status', 'withdrawalReason', 'tags', 'source']
const READ_ONLY = Object.keys(ArticleSchema.shape).filter((key) => !WRITABLE.includes(key))

export const ImportLineSchema = z.strictObject({
  ...createFields,
  status: ArticleStatusSchema.optional().describe('Any state; scheduled is published with a future publishedAt.'),
  withdrawalReason: requiredText(2000).nullable().optional().describe('Needed when status is withdrawn.'),
  tags: z.array(z.union([Ref, EmbeddedTag])).max(50).optional().describe('Tag slugs or ids, or embedded tag objects.'),
  source: z.union([Ref, EmbeddedSource]).nullable().optional().describe('A source slug or id, or an embedded source.'),
  ...Object.fromEntries(READ_ONLY.map((key) => [key, z.unknown().optional()])),
})
type ImportLine = z.infer<typeof ImportLineSchema>

const slugOf = (ref: TagRef | SourceRef) => (typeof ref === 'string' ? ref : ref.slug)

/** `middle-east` -> `Middle East`: the name of a tag or source created from a bare slug. */
const prettify = (slug: string) => slug.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ')

/** Parses one line: a 400 problem with pointers into the line when it is not JSON or not an article. */
export function parseLine(text: string): ImportLine {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    const message = `is not valid JSON: ${(error as Error).message}`
    throw new HttpProblem(400, 'malformed-body', 'The line is not valid JSON', `The line ${message}.`, {
      errors: [{ in: 'body', pointer: '', message }],
    })
  }
  const result = ImportLineSchema.safeParse(json)
  if (result.success) return result.data
  const errors = toFieldErrors(result.error.issues, 'body')
  const detail = `${errors.map((e) => `${e.pointer || '(root)'}: ${e.message}`).join('; ')}.`
  throw new HttpProblem(400, 'validation', 'The line is not a valid article', detail, { errors })
}

/** The article a parsed line stands for, read-only fields dropped and references as slugs. */
export function toUpsert(line: ImportLine): ArticleUpsert {
  const fields = line as Record<string, unknown>
  const input: Record<string, unknown> = {}
  for (const key of WRITABLE) if (fields[key] !== undefined) input[key] = fields[key]
  if (line.tags !== undefined) input.tags = line.tags.map(slugOf)
  if (line.source != null) input.source = slugOf(line.source)
  return input as ArticleUpsert
}

/**
 * createMissing: the tags and source a line names that do not exist yet, created through their
 * services (by slug; named from the embedded object, else from the slug). A reference that is not
 * a valid slug is left alone for the article's own 422.
 */
export function createMissingReferences(deps: Deps, tx: DbOrTx, line: ImportLine) {
  const creatable = (ref: TagRef | SourceRef) => SlugSchema.safeParse(slugOf(ref)).success
  const tagRefs = (line.tags ?? []).filter(creatable)
  if (tagRefs.length > 0) {
    const known = new Set(createTagsRepository(tx).findMany(tagRefs.map(slugOf)).flatMap((tag) => [tag.id, tag.slug]))
    const tags = createTagsService(deps)
    for (const ref of tagRefs) {
      const slug = slugOf(ref)
      if (known.has(slug)) continue
      const embedded = typeof ref === 'string' ? undefined : ref
      tags.create({ slug, name: embedded?.name ?? prettify(slug), kind: embedded?.kind ?? 'subject' })
      known.add(slug)
    }
  }
  const source = line.source
  if (source != null && creatable(source) && !createSourcesRepository(tx).find(slugOf(source))) {
    const slug = slugOf(source)
    createSourcesService(deps).create({ slug, name: (typeof source === 'string' ? undefined : source.name) ?? prettify(slug) })
  }
}
