import { randomUUID } from 'node:crypto'
import type { Feed } from 'feed'
import { js2xml, xml2js, type ElementCompact } from 'xml-js'
import { buildFeed, imageType, xmlHtml, xmlText, type FeedInput } from './feeds.builder.js'
import type { FeedFormat } from './feeds.schemas.js'

// The `feed` package writes each format; what it cannot say (JSON Feed 1.1, paging links,
// dc:creator, correct enclosure types) is added to the document it wrote, never by hand.

type Element = ElementCompact & Record<string, any>
type Attributes = Record<string, string | number | undefined>

const ATOM_NS = 'http://www.w3.org/2005/Atom'
const DC_NS = 'http://purl.org/dc/elements/1.1/'
const LISTS = ['link', 'atom:link', 'entry', 'item', 'category', 'author']

/** xml-js escapes only quotes in attributes: ampersands and "<" (a tag named "A<B") are escaped here. */
const escapeAttributes = (attributes: Attributes): Attributes =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      typeof value === 'string' ? value.replaceAll('&', '&amp;').replaceAll('<', '&lt;') : value,
    ]),
  )

/**
 * Builds the feed, parses what `feed` wrote, lets `patch` add to it, and writes it out again.
 * The bodies, most of the bytes, skip the round trip: `feed` gets a unique token for each,
 * swapped for the body at the end (bodies never contain "]]>", see feeds.builder.ts).
 */
function renderXml(
  format: 'rss' | 'atom',
  input: FeedInput,
  write: (feed: Feed) => string,
  patch: (document: Element) => void,
): string {
  const token = `body-${randomUUID()}-`
  const articles = input.articles.map((article, i) => ({ ...article, bodyHtml: `${token}${i}.` }))
  const document = xml2js(write(buildFeed(format, { ...input, articles })), { compact: true, alwaysArray: LISTS }) as Element
  patch(document)
  const xml = js2xml(document, {
    compact: true,
    spaces: 2,
    attributesFn: escapeAttributes as never,
    cdataFn: ((cdata: string) => cdata.replaceAll(']]>', ']]]]><![CDATA[>')) as never,
  })
  return xml.replace(new RegExp(`${token}(\\d+)\\.`, 'g'), (_, i) => xmlHtml(input.articles[Number(i)]!.bodyHtml))
}

const pagingLinks = ({ links }: FeedInput, extra: Attributes = {}) =>
  (
    [
      ['first', links.first],
      ['previous', links.previous],
      ['next', links.next],
    ] as const
  ).flatMap(([rel, href]) => (href === null ? [] : [{ _attributes: { rel, href, ...extra } }]))

function rss(input: FeedInput): string {
  return renderXml('rss', input, (feed) => feed.rss2(), ({ rss }) => {
    Object.assign(rss._attributes, { 'xmlns:atom': ATOM_NS, 'xmlns:dc': DC_NS })
    const channel = rss.channel
    channel['atom:link'] = [...(channel['atom:link'] ?? []), ...pagingLinks(input, { type: 'application/rss+xml' })]
    ;(channel.item ?? []).forEach((item: Element, i: number) => {
      const article = input.articles[i]!
      item.title = { _cdata: xmlText(article.headline) }
      // RSS's <author> wants an e-mail address; a byline is a name.
      if (item.author) item['dc:creator'] = item.author.map((author: Element) => ({ _text: author._text }))
      delete item.author
      item['atom:updated'] = { _text: article.updatedAt }
    })
  })
}

function atom(input: FeedInput): string {
  return renderXml('atom', input, (feed) => feed.atom1(), ({ feed }) => {
    if (input.filters.language) feed._attributes['xml:lang'] = input.filters.language
    feed.link = [...feed.link, ...pagingLinks(input)]
    for (const entry of feed.entry ?? []) {
      // `feed` derives the type from the extension alone ("image/jpg", or nonsense without one).
      for (const link of entry.link) {
        if (link._attributes.rel === 'enclosure') link._attributes.type = imageType(link._attributes.href)
      }
    }
  })
}

function json(input: FeedInput): string {
  const { version: _v, author, items, ...rest } = JSON.parse(buildFeed('json', input).json1())
  const document = {
    version: 'https://jsonfeed.org/version/1.1',
    ...rest,
    ...(input.links.next ? { next_url: input.links.next } : {}),
    ...(input.filters.language ? { language: input.filters.language } : {}),
    // 1.1 has `authors`; `author` stays for 1.0 readers.
    authors: [author],
    author,
    items: items.map((item: Record<string, any>, i: number) => ({
      ...item,
      ...(item.author ? { authors: [item.author] } : {}),
      language: input.articles[i]!.language,
      ...(item.image ? { attachments: [{ url: item.image, mime_type: imageType(item.image) }] } : {}),
    })),
  }
  return JSON.stringify(document)
}

export const renderFeed: Record<FeedFormat, (input: FeedInput) => string> = { rss, atom, json }
