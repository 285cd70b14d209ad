import type { Harness } from './helper.js'
import { seedArticleText } from './helper.js'

// Rows for one test, made through the API so they follow every rule a client's would.

async function post(h: Harness, url: string, payload: object) {
  const res = await h.app.inject({ method: 'POST', url, headers: h.auth.write, payload })
  if (res.statusCode !== 201) throw new Error(`POST ${url} answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

let counter = 0

export const createSource = (h: Harness, fields: object = {}) =>
  post(h, '/v1/sources', { name: `Source ${++counter}`, ...fields })

export const createTag = (h: Harness, fields: object = {}) => post(h, '/v1/tags', { name: `Tag ${++counter}`, ...fields })

export const createArticle = (h: Harness, fields: object = {}) =>
  post(h, '/v1/articles', { headline: `Headline ${++counter}`, body: 'Some words of body text.', ...fields })

/**
 * The seed fixture split into its parts, byte for byte: the headline line, the image caption
 * (which ends with the credit in brackets), and the body paragraphs between the caption and the
 * attribution line.
 */
export function seedArticleParts() {
  const lines = seedArticleText.split('\n')
  const headline = lines[2]!
  const caption = lines[5]!
  const paragraphs = seedArticleText.split('\n\n')
  const bodyStart = paragraphs.findIndex((p) => p.startsWith('Amid renewed'))
  const bodyEnd = paragraphs.findIndex((p) => p.startsWith('Contrary to'))
  return {
    headline,
    caption,
    body: paragraphs.slice(bodyStart, bodyEnd + 1).join('\n\n'),
    byline: 'TBP and Agencies',
    publishedAt: '2015-07-23T14:41:00.000Z',
  }
}

/** A published article (publishedAt defaults to the clock's now, so anonymous readers see it). */
export const createPublished = (h: Harness, fields: object = {}) => createArticle(h, { status: 'published', ...fields })

/** Tags (or sources) with the slugs given, named after them; returned in the same order. */
export async function createTags(h: Harness, ...slugs: string[]) {
  const made = []
  for (const slug of slugs) made.push(await createTag(h, { slug, name: slug[0]!.toUpperCase() + slug.slice(1) }))
  return made
}

export async function createSources(h: Harness, ...slugs: string[]) {
  const made = []
  for (const slug of slugs) made.push(await createSource(h, { slug, name: slug.toUpperCase() }))
  return made
}
