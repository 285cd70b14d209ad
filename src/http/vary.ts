import type { FastifyReply } from 'fastify'

/**
 * Adds field names to the reply's Vary header, keeping what is there. Names are compared
 * case-insensitively (RFC 9110 section 12.5.5), so none is listed twice; `*` stays alone.
 * Called with no names, it only tidies a header that others have appended to.
 */
export function appendVary(reply: FastifyReply, ...names: string[]) {
  const current = reply.getHeader('vary')
  const existing = current === undefined ? '' : Array.isArray(current) ? current.join(',') : String(current)
  const key = `${existing}\n${names.join(',')}`
  let merged = merges.get(key)
  if (merged === undefined) {
    merged = mergeFields([...existing.split(','), ...names])
    // Only our own code sets Vary, so there are a handful of distinct inputs; the bound is a guard.
    if (merges.size < 1000) merges.set(key, merged)
  }
  if (merged !== '') reply.header('vary', merged)
}

/** Every response merges the same few lists, so each distinct input is merged once. */
const merges = new Map<string, string>()

function mergeFields(names: string[]): string {
  const fields = new Map<string, string>()
  for (const name of names) {
    const field = name.trim()
    if (field !== '' && !fields.has(field.toLowerCase())) fields.set(field.toLowerCase(), field)
  }
  return fields.has('*') ? '*' : [...fields.values()].join(', ')
}
