import { z } from 'zod'
import { ArticleCountSchema } from '../catalog-list.js'
import { HttpUrlSchema, PageMetaSchema, requiredText, SlugSchema, text, TimestampSchema } from '../../http/schemas.js'

export const SourceSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    url: z.string().nullable(),
    description: z.string().nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    version: z.number().int(),
  })
  .meta({ id: 'Source', description: 'The outlet or agency content comes from, e.g. Xinhua.' })
export type Source = z.infer<typeof SourceSchema>

export const SourceCreateSchema = z
  .strictObject({
    name: requiredText(200),
    slug: SlugSchema.optional(),
    url: HttpUrlSchema.nullable().optional(),
    description: text(5000).nullable().optional(),
  })
  .meta({ id: 'SourceCreate' })
export type SourceCreate = z.infer<typeof SourceCreateSchema>

export const SourcePatchSchema = z
  .strictObject({
    name: requiredText(200).optional(),
    slug: SlugSchema.optional(),
    url: HttpUrlSchema.nullable().optional(),
    description: text(5000).nullable().optional(),
  })
  .meta({ id: 'SourcePatch', description: 'A JSON merge patch (RFC 7396): null clears a field.' })
export type SourcePatch = z.infer<typeof SourcePatchSchema>

export const SourceListSchema = z.object({ data: z.array(SourceSchema.extend({ articleCount: ArticleCountSchema })), meta: PageMetaSchema }).meta({ id: 'SourceList' })
