import type { FastifyReply } from 'fastify'

/**
 * Adds field names to the reply's Vary header, keeping what is there. Names are compared
 * case-insensitively (RFC 9110 section 12.5.5), so none is listed twice; `*` stays alone.
 * Called with no names, it only tidies a header that others have appended to.
 */
export function appendVary(reply: FastifyReply, ...names: string[]) {
  const current = reply.getHeader('vary')
  const existing = current === undefined ? [] : Array.isArray(current) ? current : [String(current)]
  const fields = new Map<string, string>()
  for (const name of [...existing.flatMap((value) => value.split(',')), ...names]) {
    const field = name.trim()
    if (field !== '' && !fields.has(field.toLowerCase())) fields.set(field.toLowerCase(), field)
  }
  if (fields.size === 0) return
  reply.header('vary', fields.has('*') ? '*' : [...fields.values()].join(', '))
}
