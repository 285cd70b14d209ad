import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case, as src/ids.ts

/** An opaque id with this module's prefixes: `whk_` for webhooks, `msg_` for deliveries (Standard Webhooks' example). */
export function webhookId(prefix: 'whk' | 'msg'): string {
  let out = ''
  for (const byte of randomBytes(16)) out += ALPHABET[byte & 31]
  return `${prefix}_${out}`
}
