import { randomInt } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case
const TIME_CHARS = 9 // 45 bits of milliseconds: enough until the year 3084
const RANDOM_CHARS = 7 // 35 bits
const RANDOM_RANGE = 2 ** (5 * RANDOM_CHARS)

export type IdPrefix = 'art' | 'tag' | 'src' | 'key' | 'whk' | 'msg'

function base32(value: number, chars: number): string {
  let out = ''
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[value % 32]! + out
    value = Math.floor(value / 32)
  }
  return out
}

let lastTime = -1
let lastRandom = 0

/**
 * An id: a type prefix (self-describing in logs: `art_…`, `tag_…`) and 16 base32 characters,
 * the creation time in milliseconds and then 35 random bits, as a ULID is made.
 *
 * Time first puts each new row at the end of every index keyed by the id (the article's own,
 * its tags, its revisions, its change events), so a write dirties a few pages there instead of
 * one at a random place per index; random ids made imports into a large database write many
 * times the bytes of the articles (bench/README.md). Within one millisecond, or if the clock
 * steps back, a process counts the random part up, so its ids stay ordered and distinct.
 * An id tells when it was made, which the article says anyway, and nothing else.
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now()
  if (now > lastTime) {
    lastTime = now
    lastRandom = randomInt(RANDOM_RANGE)
  } else if (++lastRandom === RANDOM_RANGE) {
    lastTime += 1 // borrowed from the next millisecond, so the order holds
    lastRandom = 0
  }
  return `${prefix}_${base32(lastTime, TIME_CHARS)}${base32(lastRandom, RANDOM_CHARS)}`
}
