import { convert } from 'html-to-text'
import MarkdownIt from 'markdown-it'
import sanitizeHtml from 'sanitize-html'
import type { BodyFormat } from '../../db/schema.js'
import { escapeHtml } from '../../html.js'

// The body is stored verbatim; these are the derived forms, computed once per write.

const markdown = new MarkdownIt({ html: true, linkify: true })

const ALLOWED_SCHEMES = ['http', 'https', 'mailto']
const SAFE_SCHEME = new RegExp(`^(?:${ALLOWED_SCHEMES.join('|')}):`, 'i')
const URL_ATTRIBUTES = ['href', 'src', 'srcset']

/**
 * A URL as a browser's URL parser reads it (tabs and newlines dropped anywhere, C0 controls and spaces
 * trimmed) is kept only with an allowed scheme, or as a plain relative reference: no colon before the
 * first `/`, `?` or `#`, so no scheme at all. sanitize-html lets through anything that does not look like
 * `scheme:`, such as `` `javascript:alert(1)` `` (legacy IE) or `java\uFFFDscript:`.
 */
function isAllowedUrl(value: string): boolean {
  const url = value.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
  return SAFE_SCHEME.test(url) || !/^[^/?#]*:/.test(url)
}

/** srcset: every candidate URL must pass; splitting at every comma is stricter than a browser is. */
const isAllowedSrcset = (value: string) =>
  value.split(',').every((candidate) => isAllowedUrl(candidate.trim().split(/\s+/)[0] ?? ''))

function withoutUnsafeUrls(tagName: string, attribs: sanitizeHtml.Attributes) {
  const kept: sanitizeHtml.Attributes = {}
  for (const [name, value] of Object.entries(attribs)) {
    const unsafe = URL_ATTRIBUTES.includes(name) && !(name === 'srcset' ? isAllowedSrcset(value) : isAllowedUrl(value))
    if (!unsafe) kept[name] = value
  }
  return { tagName, attribs: kept }
}

/** An allowlist: structure and links survive; scripts, event handlers and javascript: URLs never do. */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags,
    'img',
    'figure',
    'figcaption',
    'picture',
    'source',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    source: ['srcset', 'type', 'media'],
    '*': ['lang', 'dir'],
  },
  allowedSchemes: ALLOWED_SCHEMES,
  allowedSchemesAppliedToAttributes: URL_ATTRIBUTES,
  allowProtocolRelative: false,
  transformTags: { '*': withoutUnsafeUrls },
  // <source> is a void element: `<source></source>` is not valid HTML.
  selfClosing: [...sanitizeHtml.defaults.selfClosing, 'source'],
}

/**
 * Plain text: paragraphs separated by blank lines, one `<p>` each (single newlines become `<br>`).
 * Any line ending counts (\n, \r\n, \r), and a line of nothing but white space (spaces, tabs,
 * non-breaking or other Unicode spaces) is blank, also as the first or last line. Only ASCII white
 * space is trimmed from a paragraph's edges: a non-breaking space in a paragraph survives even at its edge.
 */
function textToHtml(body: string): string {
  let html = ''
  for (const paragraph of `\n${body.replace(/\r\n?/g, '\n')}\n`.split(/\n(?:[^\S\n]*\n)+/)) {
    if (paragraph.trim().length === 0) continue
    html += `${html === '' ? '' : '\n'}<p>${escapeHtml(trimAsciiSpace(paragraph)).replace(/\n/g, '<br>')}</p>`
  }
  return html
}

/**
 * `text` without ASCII white space (space, tab, newline, form feed) at its edges. A loop, not
 * `/^[ \t\n\f]+|[ \t\n\f]+$/g`, which tries its second branch at every position: rendering
 * is on every write and import, and this halves its cost.
 */
function trimAsciiSpace(text: string): string {
  const edge = (i: number) => {
    const c = text.charCodeAt(i)
    return c === 32 || c === 9 || c === 10 || c === 12
  }
  let start = 0
  let end = text.length
  while (start < end && edge(start)) start++
  while (end > start && edge(end - 1)) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}

function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  }).trim()
}

export function renderBody(body: string, format: BodyFormat): { html: string; text: string } {
  if (format === 'text') return { html: textToHtml(body), text: body }
  const html = sanitizeHtml(format === 'markdown' ? markdown.render(body) : body, SANITIZE)
  return { html, text: htmlToText(html) }
}

const WORDS_PER_MINUTE = 230

export const readingTimeMinutes = (wordCount: number) => Math.max(1, Math.round(wordCount / WORDS_PER_MINUTE))
