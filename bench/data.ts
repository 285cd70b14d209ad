// The benchmarks' deterministic synthetic articles (seeded: every run generates the same ones),
// and the tags and sources they name. Shared by bench/load.ts, bench/import-speed.ts and
// bench/export-memory.ts. Bump GENERATOR_VERSION whenever the output changes: cached databases
// under bench/.cache are keyed by it.
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { loadConfig } from '../src/config.js'
import type { Db } from '../src/db/client.js'
import { createSourcesService } from '../src/modules/sources/sources.service.js'
import { createTagsService } from '../src/modules/tags/tags.service.js'

export const GENERATOR_VERSION = 1
export const TAG_COUNT = 200
export const SOURCE_COUNT = 50
/** The planted rare word: in the first paragraph of one article in 1,000 (i % 1000 === 7). */
export const RARE_WORD = 'zyzzogeton'
const FIVE_YEARS = 5 * 365 * 24 * 60 * 60 * 1000
const START = Date.parse('2021-01-01T00:00:00.000Z')

/** mulberry32: a small seeded PRNG. */
function random(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'sa', 'tor', 'vel', 'an', 'di', 'mor', 'pe', 'qua', 'ri', 'sto', 'un', 'zen', 'bra', 'cel']

/** A deterministic vocabulary of 2,000 word-like tokens (search needs realistic term counts). */
function vocabulary(rand: () => number): string[] {
  const words = new Set<string>()
  while (words.size < 2000) {
    let word = ''
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) word += SYLLABLES[Math.floor(rand() * SYLLABLES.length)]
    words.add(word)
  }
  return [...words]
}

export const tagSlug = (i: number) => `topic-${String(i).padStart(3, '0')}`
export const sourceSlug = (i: number) => `agency-${String(i).padStart(2, '0')}`

/** One synthetic article in the create shape (plus externalId and status), as an import line takes it. */
export type SyntheticArticle = {
  externalId: string
  headline: string
  summary: string
  body: string
  byline: string
  status: 'published'
  publishedAt: string
  source: string
  tags: string[]
}

/**
 * `count` synthetic articles: headline ~80 characters, body ~3 KB in paragraphs, 1-5 of
 * TAG_COUNT tags, one of SOURCE_COUNT sources, publication dates over five years, an externalId
 * each (`syn-<i>`), and RARE_WORD planted in one article in 1,000.
 */
export function* syntheticArticles(count: number, seed = 42, first = 0): Generator<SyntheticArticle> {
  const rand = random(seed)
  const words = vocabulary(rand)
  const pick = () => words[Math.floor(rand() * words.length)]!
  const sentence = (length: number) => {
    const parts: string[] = []
    for (let i = 0; i < length; i++) parts.push(pick())
    const text = parts.join(' ')
    return text.charAt(0).toUpperCase() + text.slice(1) + '.'
  }
  for (let i = first; i < first + count; i++) {
    let headline = ''
    while (headline.length < 75) headline += (headline ? ' ' : '') + pick()
    const paragraphs: string[] = []
    let size = 0
    while (size < 3000) {
      const paragraph = [sentence(12), sentence(15), sentence(9), sentence(14)].join(' ')
      paragraphs.push(paragraph)
      size += paragraph.length + 2
    }
    if (i % 1000 === 7) paragraphs[0] += ' Zyzzogeton.'
    const tagCount = 1 + Math.floor(rand() * 5)
    const tags = new Set<string>()
    while (tags.size < tagCount) tags.add(tagSlug(Math.floor(rand() * TAG_COUNT)))
    yield {
      externalId: `syn-${i}`,
      headline: headline.charAt(0).toUpperCase() + headline.slice(1),
      summary: sentence(20),
      body: paragraphs.join('\n\n'),
      byline: `${pick()} ${pick()}`,
      status: 'published',
      publishedAt: new Date(START + Math.floor(rand() * FIVE_YEARS)).toISOString(),
      source: sourceSlug(Math.floor(rand() * SOURCE_COUNT)),
      tags: [...tags],
    }
  }
}

/** The same articles as NDJSON lines (without the newline). */
export function* syntheticLines(count: number, seed = 42, first = 0): Generator<string> {
  for (const article of syntheticArticles(count, seed, first)) yield JSON.stringify(article)
}

/** The tags and sources the synthetic articles name, made through their services. */
export function seedCatalog(db: Db) {
  const deps = { db, clock: Date.now, config: loadConfig({}) }
  const tags = createTagsService(deps)
  const sources = createSourcesService(deps)
  for (let i = 0; i < TAG_COUNT; i++) tags.create({ slug: tagSlug(i), name: `Topic ${i}`, kind: 'subject' })
  for (let i = 0; i < SOURCE_COUNT; i++) sources.create({ slug: sourceSlug(i), name: `Agency ${i}` })
}

export async function writeLines(path: string, lines: Iterable<string>) {
  const out = createWriteStream(path)
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}
