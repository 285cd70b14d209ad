import { Feed, type Category } from 'feed'
import type { Article } from '../articles/articles.schemas.js'
import type { FeedFilters, FeedFormat } from './feeds.schemas.js'
import type { FeedLinks } from './feeds.links.js'

export type FeedArticle = Pick<
  Article,
  'id' | 'headline' | 'summary' | 'bodyHtml' | 'byline' | 'language' | 'publishedAt' | 'updatedAt' | 'canonicalUrl' | 'image' | 'tags'
>

export type FeedInput = { articles: FeedArticle[]; links: FeedLinks; filters: FeedFilters; now: number }

/** The entry id: the article id never changes, so neither does this, whatever is edited. */
export const entryId = (articleId: string) => `urn:newsdesk:article:${articleId}`

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
}

/** The image's media type, from its file extension; JPEG when there is none we know. */
export function imageType(url: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase()
  return (extension && IMAGE_TYPES[extension]) ?? 'image/jpeg'
}

// XML 1.0 cannot carry these characters at all, not even escaped: they become U+FFFD there.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g
export const xmlText = (s: string) => s.replace(NOT_XML, '\uFFFD')
/** HTML for a CDATA section: "]]&gt;" reads the same in HTML, and cannot end the section. */
export const xmlHtml = (s: string) => xmlText(s).replaceAll(']]>', ']]&gt;')
const escapedText = (s: string) => xmlText(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
const exact = (s: string) => s

/**
 * How each format wants each kind of text. `feed` writes titles, summaries and content as CDATA
 * and splits only the first "]]>" in each, so none reaches it; the RSS title, which is plain
 * text, is put back exactly by feeds.render.ts. Atom declares title and summary type="html",
 * and RSS descriptions are HTML: plain text is escaped for them.
 */
const TEXT: Record<FeedFormat, Record<'plain' | 'title' | 'summary' | 'html', (s: string) => string>> = {
  json: { plain: exact, title: exact, summary: exact, html: exact },
  rss: { plain: xmlText, title: xmlHtml, summary: escapedText, html: xmlHtml },
  atom: { plain: xmlText, title: escapedText, summary: escapedText, html: xmlHtml },
}

function categories(format: FeedFormat, tags: FeedArticle['tags'], origin: string): Category[] {
  const text = TEXT[format]
  // RSS names the tag's URL as the domain; Atom gives the slug as the term in the tags scheme.
  return tags.map((tag) =>
    format === 'atom'
      ? { name: text.plain(tag.name), term: tag.slug, scheme: `${origin}/v1/tags` }
      : { name: text.plain(tag.name), domain: `${origin}/v1/tags/${tag.slug}` },
  )
}

function describe(filters: FeedFilters): string {
  const named = Object.entries(filters).filter(([, value]) => value !== undefined)
  return named.length === 0 ? '' : ` (${named.map(([name, value]) => `${name}: ${value}`).join('; ')})`
}

/** The feed as the `feed` package models it; the renderers turn it into each format. */
export function buildFeed(format: FeedFormat, { articles, links, filters, now }: FeedInput): Feed {
  const text = TEXT[format]
  const newest = Math.max(...articles.map((article) => Date.parse(article.updatedAt)))
  const feed = new Feed({
    id: links.id,
    title: text.plain(`Newsdesk articles${describe(filters)}`),
    description: 'Published articles, newest first.',
    link: links.home,
    updated: new Date(articles.length === 0 ? now : newest),
    generator: 'Newsdesk',
    author: { name: 'Newsdesk' },
    feedLinks: { [format]: links.self },
    ...(filters.language === undefined ? {} : { language: filters.language }),
  })
  for (const article of articles) {
    feed.addItem({
      id: entryId(article.id),
      title: text.title(article.headline),
      link: article.canonicalUrl ?? `${links.origin}/v1/articles/${encodeURIComponent(article.id)}`,
      date: new Date(article.updatedAt),
      published: new Date(article.publishedAt!),
      ...(article.summary ? { description: text.summary(article.summary) } : {}),
      content: text.html(article.bodyHtml),
      ...(article.byline ? { author: [{ name: text.plain(article.byline) }] } : {}),
      category: categories(format, article.tags, links.origin),
      ...(article.image?.url ? { image: { url: article.image.url, type: imageType(article.image.url) } } : {}),
    })
  }
  return feed
}
