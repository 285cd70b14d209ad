import { z } from 'zod'

/** Strings SQLite and JSON can hold faithfully: no NUL, no unpaired UTF-16 surrogate. */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000')
}

/** A text field stored exactly as sent (no trimming, no normalisation), up to `max` characters. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates')

/** Like `text`, but must contain something other than white space. */
export const requiredText = (max: number) =>
  text(max).refine((value) => value.trim().length > 0, 'must not be empty')

export const SlugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single hyphens')
  .meta({ id: 'Slug', description: 'Unique, URL-safe name: lower-case ASCII letters, digits and hyphens.' })

export const HttpUrlSchema = z.url({ protocol: /^https?$/ }).max(2048)

export const TimestampSchema = z.iso
  .datetime()
  .meta({ id: 'Timestamp', description: 'ISO 8601 date-time in UTC, e.g. 2015-07-23T14:41:00.000Z.' })

/** ISO 8601 renders years 0000-9999 with four digits; an instant outside them cannot be returned as a Timestamp. */
const inTimestampRange = (value: string) => {
  const year = new Date(value).getUTCFullYear()
  return year >= 0 && year <= 9999
}

/** A date-time a client sends: any offset, as long as the instant is between the years 0000 and 9999 in UTC. */
export const TimestampInputSchema = z.iso
  .datetime({ offset: true })
  .refine(inTimestampRange, 'must be between the years 0000 and 9999 in UTC')

export const IdOrSlugParamsSchema = z.object({
  idOrSlug: z.string().min(1).max(200).describe('The id or the slug of the resource.'),
})

export const IdParamsSchema = z.object({ id: z.string().min(1).max(200) })

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per page, 1-100.'),
  cursor: z.string().max(1000).optional().describe('An opaque cursor from meta.nextCursor or meta.prevCursor.'),
})

export const PageMetaSchema = z
  .object({
    limit: z.number().int(),
    nextCursor: z.string().nullable(),
    prevCursor: z.string().nullable(),
  })
  .meta({ id: 'PageMeta' })

export const FieldErrorSchema = z
  .object({
    in: z.enum(['body', 'query', 'params', 'headers']),
    pointer: z.string().describe('JSON Pointer (RFC 6901) to the field inside that part.'),
    message: z.string(),
  })
  .meta({ id: 'FieldError' })

export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('Stable identifier of the kind of problem, e.g. /problems/validation.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().describe('Repeats the request id from the server log.'),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem details object.' })

/** Problem responses declared on a route, by status. */
export function problems<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((s) => [s, ProblemSchema])) as { [K in S[number]]: typeof ProblemSchema }
}

/** Converts stored epoch milliseconds to the API's ISO 8601 UTC form. */
export const iso = (ms: number) => new Date(ms).toISOString()
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms))
