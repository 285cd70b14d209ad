import { z } from 'zod'
import { KEY_SCOPES } from '../../db/schema.js'
import { isoOrNull, iso, requiredText, TimestampSchema } from '../../http/schemas.js'
import type { ApiKeyRow } from './keys.repository.js'

export const KeyScopeSchema = z
  .enum(KEY_SCOPES)
  .meta({ id: 'KeyScope', description: 'read < write < admin: each scope includes the ones before it.' })

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: KeyScopeSchema,
    prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
    createdAt: TimestampSchema,
    lastUsedAt: TimestampSchema.nullable().describe('Updated at most once an hour.'),
    revokedAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'ApiKey' })

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The secret. It is shown only this once; only its hash is stored.'),
}).meta({ id: 'CreatedApiKey' })

export const ApiKeyCreateSchema = z
  .strictObject({ name: requiredText(200), scope: KeyScopeSchema })
  .meta({ id: 'ApiKeyCreate' })

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' })

export const toApiKey = (row: ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  prefix: row.prefix,
  createdAt: iso(row.createdAt),
  lastUsedAt: isoOrNull(row.lastUsedAt),
  revokedAt: isoOrNull(row.revokedAt),
})
