import t from 'tap'
import { build } from './helper.js'
import { createArticle, createSource, createTag, seedArticleParts } from './factories.js'

t.test('the seed article round-trips byte for byte', async (t) => {
  const h = await build(t)
  await createSource(h, { name: 'Xinhua' })
  await createTag(h, { name: 'Syria', kind: 'place' })
  const seed = seedArticleParts()
  t.ok(seed.headline.includes('\u2019'), 'the fixture has curly quotes')
  const created = await createArticle(h, {
    headline: seed.headline,
    body: seed.body,
    byline: seed.byline,
    image: { caption: seed.caption, credit: 'Xinhua' },
    source: 'xinhua',
    tags: ['syria'],
    status: 'published',
    publishedAt: seed.publishedAt,
  })
  const res = await h.app.inject({ method: 'GET', url: `/v1/articles/${created.slug}` })
  t.equal(res.statusCode, 200)
  const article = res.json()
  t.equal(article.headline, seed.headline)
  t.equal(article.body, seed.body)
  t.equal(Buffer.compare(Buffer.from(article.body), Buffer.from(seed.body)), 0, 'same bytes')
  t.equal(article.image.caption, seed.caption)
  t.equal(article.publishedAt, seed.publishedAt)
  t.equal(article.slug, 'syrian-fm-backs-putins-proposal-of-regional-alliance-against-isil')
  t.same(article.source, { id: created.source.id, slug: 'xinhua', name: 'Xinhua' })
})
