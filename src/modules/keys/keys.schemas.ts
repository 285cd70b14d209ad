import { z } from 'zod'
import { KEY_SCOPES } from '../../db/schema.js'
import { isoOrNull, iso, requiredText, TimestampSchema } from '../../http/schemas.js'
import type { ApiKeyRow } from './keys.repository.js'

export const KeyScopeSchema = z
  .enum(KEY_SCOPES)
  .meta({ id: 'KeyScope', description: 'read < write < admin: each scope includes the ones before it.' })

/** Requests per RATE_LIMIT_WINDOW for one key. */
const RateLimitMaxSchema = z.number().int().min(1).max(1_000_000_000)

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: KeyScopeSchema,
    prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
    rateLimitMax: RateLimitMaxSchema.nullable().describe(
      'Requests this key may make per rate-limit window; null: the server-wide RATE_LIMIT_MAX.',
    ),
    createdAt: TimestampSchema,
    lastUsedAt: TimestampSchema.nullable().describe('Updated at most once an hour.'),
    revokedAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'ApiKey' })

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The secret. It is shown only this once; only its hash is stored.'),
}).meta({ id: 'CreatedApiKey' })

export const ApiKeyCreateSchema = z
  .strictObject({
    name: requiredText(200),
    scope: KeyScopeSchema,
    rateLimitMax: RateLimitMaxSchema.nullable()
      .optional()
      .describe('Requests per rate-limit window for this key; omitted or null: the server-wide RATE_LIMIT_MAX.'),
  })
  .meta({ id: 'ApiKeyCreate' })

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' })

export const toApiKey = (row: ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  prefix: row.prefix,
  rateLimitMax: row.rateLimitMax,
  createdAt: iso(row.createdAt),
  lastUsedAt: isoOrNull(row.lastUsedAt),
  revokedAt: isoOrNull(row.revokedAt),
})
