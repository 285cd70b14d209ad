import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case

/**
 * An opaque id: a type prefix and 16 base32 characters (80 random bits). Prefixes make ids
 * self-describing in logs (`art_…`, `tag_…`) at no cost to opacity.
 */
export function newId(prefix: 'art' | 'tag' | 'src' | 'key'): string {
  const bytes = randomBytes(16)
  let out = ''
  for (const byte of bytes) out += ALPHABET[byte & 31]
  return `${prefix}_${out}`
}
