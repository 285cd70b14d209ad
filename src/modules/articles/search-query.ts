import { escapeHtml } from '../../html.js'
import { badRequest } from '../../http/errors.js'

/**
 * Translates the public search syntax into an FTS5 MATCH expression that cannot be a syntax
 * error: words (all must match), "exact phrase", prefix*, OR between terms, -excluded.
 * Every term is emitted as a quoted FTS5 string, so FTS operators, column filters, NEAR( and
 * parentheses typed by a user are searched as text, never interpreted.
 */

const MAX_TERMS = 32
const HAS_WORD = /[\p{L}\p{N}]/u

type Term = { text: string; prefix: boolean; negated: boolean; or: boolean }

const invalid = (message: string) =>
  badRequest(`The search query is not usable: ${message}.`, [{ in: 'query', pointer: '/q', message }])

function tokenize(q: string): Term[] {
  const terms: Term[] = []
  let pendingOr = false
  // A quoted phrase (the closing quote may be missing), or a run of non-space characters.
  for (const match of q.replaceAll('\u0000', ' ').matchAll(/(-?)"([^"]*)"?|(\S+)/g)) {
    const [, dash, phrase, bare] = match
    if (bare === 'OR') {
      pendingOr = terms.length > 0
      continue
    }
    let text = phrase ?? bare ?? ''
    let negated = dash === '-'
    if (phrase === undefined && text.startsWith('-')) {
      negated = true
      text = text.slice(1)
    }
    const prefix = phrase === undefined && text.endsWith('*')
    text = text.replace(/\*+$/, '').replaceAll('*', ' ')
    if (!HAS_WORD.test(text)) continue // punctuation or a lone * on its own searches nothing
    terms.push({ text, prefix, negated, or: pendingOr && !negated })
    pendingOr = false
  }
  return terms
}

const quote = (term: Term) => `"${term.text.replaceAll('"', '""')}"${term.prefix ? '*' : ''}`

export function toMatchExpression(q: string): string {
  const terms = tokenize(q)
  if (terms.length > MAX_TERMS) throw invalid(`use at most ${MAX_TERMS} terms`)
  const positive = terms.filter((t) => !t.negated)
  const negative = terms.filter((t) => t.negated)
  if (positive.length === 0) throw invalid('it needs at least one word to look for')
  // Adjacent terms joined by OR form one group; groups must all match.
  const groups: Term[][] = []
  for (const term of positive) {
    const last = groups.at(-1)
    if (term.or && last) last.push(term)
    else groups.push([term])
  }
  const all = groups.map((group) => (group.length === 1 ? quote(group[0]!) : `(${group.map(quote).join(' OR ')})`))
  const expression = all.join(' AND ')
  if (negative.length === 0) return expression
  return `(${expression}) NOT (${negative.map(quote).join(' OR ')})`
}

// Snippet markers: private-use characters with a per-process nonce, so text in an article can
// never be mistaken for one. The snippet is escaped first, then the markers become <mark>.
const nonce = Math.random().toString(36).slice(2, 10)
export const HIGHLIGHT_OPEN = `\uE000${nonce}\uE001`
export const HIGHLIGHT_CLOSE = `\uE002${nonce}\uE003`

export function renderHighlight(snippet: string): string {
  return escapeHtml(snippet).replaceAll(HIGHLIGHT_OPEN, '<mark>').replaceAll(HIGHLIGHT_CLOSE, '</mark>')
}

/** "Articles like this one": any of the distinctive words of a headline and summary. */
export function similarityExpression(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [])].slice(0, 24)
  if (words.length === 0) return undefined
  return words.map((word) => `"${word}"`).join(' OR ')
}
