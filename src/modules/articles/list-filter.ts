import { badRequest } from '../../http/errors.js'
import type { ArticleListQuery } from './articles.schemas.js'
import { DAY_MS } from '../../time.js'

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

const invalid = (pointer: string, message: string) =>
  badRequest(`The ${pointer.slice(1)} parameter is not valid: ${message}.`, [{ in: 'query', pointer, message }])

/** `tag=syria,russia|ukraine,-opinion`: groups that must all match (each any-of) and slugs excluded. */
export type TagExpression = { all: string[][]; none: string[] }

export function parseTagExpression(raw: string): TagExpression {
  const all: string[][] = []
  const none: string[] = []
  for (const term of raw.split(',')) {
    const negated = term.startsWith('-')
    const slugs = (negated ? term.slice(1) : term).split('|')
    for (const slug of slugs) {
      if (!SLUG.test(slug)) throw invalid('/tag', `"${slug}" is not a tag slug (use a,b for both, a|b for either, -a to exclude)`)
    }
    if (negated) none.push(...slugs)
    else all.push(slugs)
  }
  if (all.length + none.length > 20) throw invalid('/tag', 'use at most 20 terms')
  return { all, none }
}

export function parseSlugList(raw: string, pointer: string): string[] {
  const slugs = raw.split(',')
  for (const slug of slugs) if (!SLUG.test(slug)) throw invalid(pointer, `"${slug}" is not a slug`)
  return slugs
}

const isDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value)

/** A date means its whole day in UTC: from its first millisecond, or to its last. */
export function parseBound(value: string, edge: 'start' | 'end'): number {
  const ms = Date.parse(isDate(value) ? `${value}T00:00:00.000Z` : value)
  return isDate(value) && edge === 'end' ? ms + DAY_MS - 1 : ms
}

export function parseList<T extends string>(raw: string | undefined, allowed: readonly T[], pointer: string): T[] {
  if (raw === undefined || raw === '') return []
  const values = raw.split(',')
  for (const value of values) {
    if (!allowed.includes(value as T)) throw invalid(pointer, `"${value}" is not one of ${allowed.join(', ')}`)
  }
  return [...new Set(values)] as T[]
}

/** Checks that need more than one parameter at a time. */
export function checkCombinations(query: ArticleListQuery) {
  if (query.from && query.to && parseBound(query.from, 'start') > parseBound(query.to, 'end')) {
    throw invalid('/from', 'it is after `to`')
  }
  if (query.sort === 'relevance' && !query.q) throw invalid('/sort', 'relevance needs a search query in `q`')
  if (query.highlight && !query.q) throw invalid('/highlight', 'highlights need a search query in `q`')
}
