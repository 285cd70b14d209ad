import t, { type Test } from 'tap'
import { createArticle } from './factories.js'
import { ALL_EVENTS, receiver, register, webhookHarness, type WebhookHarness } from './webhook-receiver.js'

// Which event a subscriber gets when several changes to an article fall between two rounds of the
// dispatcher: the change feed keeps only the article's newest event, so the outbox tells from
// the article's history what the subscriber last knew of it.

const SECOND = 1000
const HOUR = 3600 * SECOND

async function call(h: WebhookHarness, method: 'POST' | 'PATCH', url: string, payload?: object) {
  // Each write a second after the last: the history orders them by time.
  h.clock.now += SECOND
  const res = await h.app.inject({ method, url, headers: h.auth.write, ...(payload ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`)
  return res
}

/** A webhook for every event, its receiver, and what one round of the dispatcher sends. */
async function setup(t: Test) {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  await register(h, { url: r.url, events: ALL_EVENTS })
  const round = async () => {
    h.clock.now += SECOND
    await h.dispatcher.tick()
    return r.received.splice(0).map((d) => [d.json.type, d.json.data.reason ?? d.json.data.article?.headline])
  }
  h.clock.now += SECOND
  const { id } = await createArticle(h, { headline: 'Draft' })
  return { h, round, id }
}

t.test('published, then edited before the next round: article.published, with the edit', async (t) => {
  const { h, round, id } = await setup(t)
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited' })
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited twice' })
  t.same(await round(), [['article.published', 'Edited twice']])
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited again' })
  t.same(await round(), [['article.updated', 'Edited again']], 'then updates, as before')
})

t.test('scheduled, its time come, then edited before the next round: article.published', async (t) => {
  const { h, round, id } = await setup(t)
  await call(h, 'POST', `/v1/articles/${id}/publish`, { at: new Date(h.clock() + HOUR).toISOString() })
  t.same(await round(), [], 'not before its time')
  h.clock.now += HOUR
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited' })
  t.same(await round(), [['article.published', 'Edited']])
})

t.test('published and removed before the next round: nothing, the subscriber never had it', async (t) => {
  const { h, round, id } = await setup(t)
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited' })
  await call(h, 'POST', `/v1/articles/${id}/unpublish`)
  t.same(await round(), [])
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  await call(h, 'POST', `/v1/articles/${id}/archive`)
  t.same(await round(), [], 'nor the second time')
})

t.test('removed and published again before the next round: article.updated, the subscriber still has it', async (t) => {
  const { h, round, id } = await setup(t)
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  t.same(await round(), [['article.published', 'Draft']])
  await call(h, 'POST', `/v1/articles/${id}/unpublish`)
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Fixed' })
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  t.same(await round(), [['article.updated', 'Fixed']])
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Fixed again' })
  await call(h, 'POST', `/v1/articles/${id}/archive`)
  t.same(await round(), [['article.removed', 'archived']], 'edited, then removed: removed')
})

t.test('an article older than its history: the event alone decides, as it always did', async (t) => {
  const { h, round, id } = await setup(t)
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  t.same(await round(), [['article.published', 'Draft']])
  h.db.$client.prepare('DELETE FROM article_revisions WHERE article_id = ?').run(id)
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited' })
  t.same(await round(), [['article.updated', 'Edited']])
})
