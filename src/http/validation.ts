import type { FastifySchemaCompiler } from 'fastify'
import type { z } from 'zod'
import type { FieldError } from './errors.js'

type Issue = z.core.$ZodIssue
export type Part = FieldError['in']

/** RFC 6901: a path of keys and indexes as a JSON Pointer. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((key) => '/' + String(key).replaceAll('~', '~0').replaceAll('/', '~1')).join('')
}

function describe(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'is required'
  return issue.message
}

/**
 * One entry per bad field (the first rule it breaks: an empty slug is too short and fails the
 * pattern, and is reported once); an unknown key gets its own pointer, so `published_at` is named.
 */
export function toFieldErrors(issues: readonly Issue[], part: Part): FieldError[] {
  const errors = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ in: part, pointer: toPointer([...issue.path, key]), message: 'is not a known field' }))
      : [{ in: part, pointer: toPointer(issue.path), message: describe(issue) }],
  )
  return errors.filter((error, i) => errors.findIndex((e) => e.pointer === error.pointer) === i)
}

/**
 * Validates request parts with zod. Failures carry plain `{ pointer, message }` issues; the
 * problem-details plugin adds which part of the request they belong to.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema }) => (data) => {
  const result = schema.safeParse(data)
  if (result.success) return { value: result.data }
  return { error: result.error.issues as unknown as Error }
}
