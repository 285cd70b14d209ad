import { z } from 'zod'
import { REMOVE_REASONS } from '../../db/schema.js'
import { problems, TimestampSchema } from '../../http/schemas.js'
import { ArticleSchema } from '../articles/articles.schemas.js'

export const ChangesQuerySchema = z.object({
  since: z.string().max(1000).optional().describe('The nextCursor of your last call; leave out to start from the beginning.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

export const ChangeSchema = z
  .object({
    seq: z.number().int().describe('The event id (webhook deliveries carry it too).'),
    type: z.enum(['upsert', 'remove']),
    articleId: z.string(),
    version: z.number().int(),
    at: TimestampSchema.describe('When the change became visible.'),
    reason: z.enum(REMOVE_REASONS).optional().describe('Why an article left the public list (remove only).'),
    article: ArticleSchema.optional().describe('The article as an anonymous reader sees it (upsert only).'),
  })
  .meta({ id: 'Change' })

export const ChangeListSchema = z
  .object({
    data: z.array(ChangeSchema),
    meta: z.object({
      limit: z.number().int(),
      nextCursor: z.string().nullable().describe('Where to resume: pass it as `since` next time, even when data is empty.'),
      hasMore: z.boolean().describe('True when more events are ready now: call again at once.'),
    }),
  })
  .meta({ id: 'ChangeList' })

export const changeProblems = problems(400, 401, 410)
