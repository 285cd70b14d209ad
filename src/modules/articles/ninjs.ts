import { badRequest, HttpProblem } from '../../http/errors.js'
import type { Article } from './articles.schemas.js'

// IPTC ninjs 3.1 (News in JSON): an article in the schema's own field names.
// https://www.iptc.org/std/ninjs/ ; the schema and the IPTC's examples are in ../shared/schemas/.

export const NINJS_MEDIA_TYPE = 'application/ninjs+json'
export const NINJS_CONTENT_TYPE = `${NINJS_MEDIA_TYPE}; charset=utf-8`
export const NINJS_SCHEMA_URI = 'http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#'
/** IPTC Content Production Party Role: "a party which contributed to the content as a source". */
const CONTENT_SOURCE_ROLE = 'http://cv.iptc.org/newscodes/contentprodpartyrole/contentSource'

type NinjsText = { role: string; contentType?: string; value: string }
type NinjsBody = NinjsText & { wordCount?: number }
/** A subject, person, organisation, place or event: all share these fields in the schema. */
type NinjsConcept = { name: string; uri: string; literal: string }
type NinjsRendition = { name: string; href: string; title?: string }
type NinjsPicture = {
  name: string
  uri: string
  type: 'picture'
  representationType: 'partial'
  by?: string
  descriptions?: NinjsText[]
  renditions?: NinjsRendition[]
}

export type NinjsDocument = {
  uri: string
  standard: { name: 'ninjs'; version: '3.1'; schema: string }
  type: 'text'
  representationType: 'full'
  version: string
  firstCreated: string
  versionCreated: string
  embargoedUntil?: string
  pubStatus: 'usable' | 'withheld' | 'canceled'
  language: string
  slugline: string
  altIds?: { role: string; value: string }[]
  headlines: NinjsText[]
  descriptions?: NinjsText[]
  bodies: NinjsBody[]
  by?: string
  located?: string
  subjects?: NinjsConcept[]
  people?: NinjsConcept[]
  organisations?: NinjsConcept[]
  places?: NinjsConcept[]
  events?: NinjsConcept[]
  infoSources?: (NinjsConcept & { role: string })[]
  associations?: NinjsPicture[]
}

export type NinjsOptions = {
  /** Scheme, host and any path prefix the API is reached at, without a trailing slash. */
  baseUrl: string
  /**
   * Whether an anonymous reader may see the article now (visibility.ts). False turns a published
   * article whose embargo is still running into `withheld`; left out, the status alone decides.
   */
  publiclyVisible?: boolean
}

const TAG_FIELDS = { subject: 'subjects', person: 'people', organisation: 'organisations', place: 'places', event: 'events' } as const

/** The schema's `uri` format wants an RFC 3986 URI: URL parsing percent-encodes what it must. */
const uriOf = (url: string) => new URL(url).href

/** usable: anyone may use it now; withheld: not (yet) for the public; canceled: withdrawn. */
function pubStatusOf(article: Article, publiclyVisible: boolean | undefined): NinjsDocument['pubStatus'] {
  if (article.status === 'withdrawn') return 'canceled'
  if (article.status !== 'published' && article.status !== 'archived') return 'withheld'
  return publiclyVisible === false ? 'withheld' : 'usable'
}

function picture(image: NonNullable<Article['image']>, articleUri: string): NinjsPicture {
  return {
    // Associations need a name and a uri; the picture has no identity of its own here.
    name: 'image',
    uri: `${articleUri}#image`,
    type: 'picture',
    representationType: 'partial',
    ...(image.credit === null ? {} : { by: image.credit }),
    ...(image.caption === null ? {} : { descriptions: [{ role: 'caption', value: image.caption }] }),
    ...(image.url === null
      ? {}
      : { renditions: [{ name: 'original', href: uriOf(image.url), ...(image.caption === null ? {} : { title: image.caption }) }] }),
  }
}

/** The ninjs 3.1 document of an article (a pure mapping: no I/O, no clock). */
export function toNinjs(article: Article, { baseUrl, publiclyVisible }: NinjsOptions): NinjsDocument {
  const uri = uriOf(`${baseUrl}/v1/articles/${encodeURIComponent(article.id)}`)
  const document: NinjsDocument = {
    uri,
    standard: { name: 'ninjs', version: '3.1', schema: NINJS_SCHEMA_URI },
    type: 'text',
    representationType: 'full',
    version: String(article.version),
    firstCreated: article.createdAt,
    versionCreated: article.updatedAt,
    ...(article.embargoedUntil === null ? {} : { embargoedUntil: article.embargoedUntil }),
    pubStatus: pubStatusOf(article, publiclyVisible),
    language: article.language,
    slugline: article.slug,
    headlines: [{ role: 'main', value: article.headline }],
    ...(article.summary === null ? {} : { descriptions: [{ role: 'summary', contentType: 'text/plain', value: article.summary }] }),
    bodies: [
      { role: 'main', contentType: 'text/plain', value: article.bodyText, wordCount: article.wordCount },
      { role: 'richtext', contentType: 'text/html', value: article.bodyHtml, wordCount: article.wordCount },
    ],
    ...(article.byline === null ? {} : { by: article.byline }),
    ...(article.dateline === null ? {} : { located: article.dateline }),
  }
  if (article.externalId !== null) document.altIds = [{ role: 'externalId', value: article.externalId }]
  for (const tag of article.tags) {
    const concept = { name: tag.name, uri: uriOf(`${baseUrl}/v1/tags/${encodeURIComponent(tag.id)}`), literal: tag.slug }
    ;(document[TAG_FIELDS[tag.kind]] ??= []).push(concept)
  }
  if (article.source !== null) {
    const { id, slug, name } = article.source
    document.infoSources = [
      { name, uri: uriOf(`${baseUrl}/v1/sources/${encodeURIComponent(id)}`), literal: slug, role: CONTENT_SOURCE_ROLE },
    ]
  }
  if (article.image !== null) document.associations = [picture(article.image, uri)]
  return document
}

/**
 * The scheme and host the client reached us at (from X-Forwarded-* when the proxy is trusted), the
 * base of the document's URIs. A Host that is no host is the client's mistake (RFC 9112 3.2): a 400.
 */
export function requestBaseUrl(protocol: string, host: string | undefined): string {
  const base = `${protocol}://${host ?? ''}`
  if (!host || !URL.canParse(base)) {
    throw badRequest('The Host header is missing or is not a valid host.', [
      { in: 'headers', pointer: '/host', message: 'must be a host name or address, with an optional port' },
    ])
  }
  return new URL(base).origin
}

type MediaRange = { type: string; subtype: string; q: number }

/** The media ranges of an Accept header (RFC 9110 section 12.5.1); a range with a bad q is ignored. */
function parseAccept(header: string): MediaRange[] {
  return header.split(',').flatMap((member) => {
    const [range = '', ...params] = member.split(';')
    const [type, subtype, extra] = range.trim().toLowerCase().split('/')
    if (!type || !subtype || extra !== undefined) return []
    let q = 1
    for (const param of params) {
      const [name = '', value = ''] = param.split('=').map((part) => part.trim())
      if (name.toLowerCase() !== 'q') continue
      if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value)) return []
      q = Number(value)
    }
    return [{ type, subtype, q }]
  })
}

/** The q the client gives a media type: that of the most specific range matching it, else 0. */
function qualityOf(ranges: MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/')
  let best = { specificity: -1, q: 0 }
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1
    if (specificity > best.specificity) best = { specificity, q: range.q }
  }
  return best.q
}

/**
 * Whether the client prefers ninjs to plain JSON. Ties (no Accept, `*\/*`, `application/*`) and
 * Accept headers naming neither keep the JSON representation.
 */
export function prefersNinjs(accept: string | undefined): boolean {
  if (accept === undefined) return false
  const ranges = parseAccept(accept)
  return qualityOf(ranges, NINJS_MEDIA_TYPE) > qualityOf(ranges, 'application/json')
}

/** Whether `read` (an anonymous read) succeeds; its 404 or 410 problem means "not public". */
export function readableAnonymously(read: () => unknown): boolean {
  try {
    read()
    return true
  } catch (error) {
    if (error instanceof HttpProblem && (error.status === 404 || error.status === 410)) return false
    throw error
  }
}
