import { z } from 'zod'
import { ArticleCountSchema } from '../catalog-list.js'
import { TAG_KINDS } from '../../db/schema.js'
import { PageMetaSchema, requiredText, SlugSchema, text, TimestampSchema } from '../../http/schemas.js'

export const TagSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    kind: z.enum(TAG_KINDS),
    description: z.string().nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    version: z.number().int(),
  })
  .meta({ id: 'Tag', description: 'A subject, person, organisation, place or event that articles are about.' })
export type Tag = z.infer<typeof TagSchema>

export const TagCreateSchema = z
  .strictObject({
    name: requiredText(200),
    slug: SlugSchema.optional(),
    kind: z.enum(TAG_KINDS).default('subject'),
    description: text(5000).nullable().optional(),
  })
  .meta({ id: 'TagCreate' })
export type TagCreate = z.infer<typeof TagCreateSchema>

export const TagPatchSchema = z
  .strictObject({
    name: requiredText(200).optional(),
    slug: SlugSchema.optional(),
    kind: z.enum(TAG_KINDS).optional(),
    description: text(5000).nullable().optional(),
  })
  .meta({ id: 'TagPatch', description: 'A JSON merge patch (RFC 7396): null clears a field.' })
export type TagPatch = z.infer<typeof TagPatchSchema>

export const TagListSchema = z.object({ data: z.array(TagSchema.extend({ articleCount: ArticleCountSchema })), meta: PageMetaSchema }).meta({ id: 'TagList' })
