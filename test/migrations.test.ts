import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import t from 'tap'
import { MIGRATIONS_FOLDER } from '../src/db/client.js'
import * as schema from '../src/db/schema.js'

type Journal = { entries: { idx: number; tag: string }[] }
const journal: Journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'))

/** A migrations folder holding only the first `count` migrations, as an older release shipped them. */
function releaseWith(dir: string, count: number): string {
  const folder = join(dir, `migrations-${count}`)
  mkdirSync(join(folder, 'meta'), { recursive: true })
  const entries = journal.entries.slice(0, count)
  for (const entry of entries) cpSync(join(MIGRATIONS_FOLDER, `${entry.tag}.sql`), join(folder, `${entry.tag}.sql`))
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }))
  return folder
}

t.test('every migration keeps the rows written under the one before it', async (t) => {
  const dir = t.testdir()
  const sqlite = new Database(join(dir, 'upgrade.db'))
  t.teardown(() => sqlite.close())
  sqlite.pragma('foreign_keys = ON')
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: releaseWith(dir, 1) })
  sqlite.exec(`
    insert into sources (id, slug, name, created_at, updated_at) values ('src_1', 'xinhua', 'Xinhua', 1, 1);
    insert into tags (id, slug, name, kind, created_at, updated_at) values ('tag_1', 'syria', 'Syria', 'place', 1, 1);
    insert into articles (doc_id, id, slug, headline, body, body_html, body_text, status, published_at, source_id, word_count, created_at, updated_at)
      values (1, 'art_1', 'first', 'Syrian FM backs Putin’s proposal', 'Body’s text', '<p>Body’s text</p>', 'Body’s text', 'published', 5, 'src_1', 2, 1, 1);
    insert into article_tags (article_id, tag_id, position) values ('art_1', 'tag_1', 0);
  `)
  for (let count = 2; count <= journal.entries.length; count++) {
    migrate(db, { migrationsFolder: releaseWith(dir, count) })
    const row = sqlite.prepare('select headline, body, status, source_id from articles where id = ?').get('art_1')
    t.same(row, { headline: 'Syrian FM backs Putin’s proposal', body: 'Body’s text', status: 'published', source_id: 'src_1' }, `after ${journal.entries[count - 1]!.tag}`)
    t.equal(sqlite.prepare('select count(*) from article_tags').pluck().get(), 1)
  }
})

t.test('rows written before the search index exist are searchable once it is built', async (t) => {
  const dir = t.testdir()
  const sqlite = new Database(join(dir, 'fts.db'))
  t.teardown(() => sqlite.close())
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: releaseWith(dir, 1) })
  sqlite.exec(`insert into articles (doc_id, id, slug, headline, body, body_html, body_text, status, word_count, created_at, updated_at)
    values (1, 'art_1', 'old', 'Regional alliance', 'x', '<p>x</p>', 'x', 'draft', 1, 1, 1)`)
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  const hits = sqlite.prepare("select rowid from articles_fts where articles_fts match 'alliances'").pluck().all()
  t.same(hits, [1])
})

t.test('articles written before the list counts are counted by the migration that adds them', async (t) => {
  const dir = t.testdir()
  const sqlite = new Database(join(dir, 'counts.db'))
  t.teardown(() => sqlite.close())
  const db = drizzle(sqlite, { schema })
  const before = journal.entries.findIndex((entry) => entry.tag === '0009_list_counts')
  migrate(db, { migrationsFolder: releaseWith(dir, before) })
  sqlite.exec(`
    insert into sources (id, slug, name, created_at, updated_at) values ('src_1', 'xinhua', 'Xinhua', 1, 1);
    insert into tags (id, slug, name, kind, created_at, updated_at) values ('tag_1', 'syria', 'Syria', 'place', 1, 1), ('tag_2', 'iraq', 'Iraq', 'place', 1, 1);
    insert into articles (doc_id, id, slug, headline, body, body_html, body_text, status, published_at, source_id, word_count, created_at, updated_at, deleted_at) values
      (1, 'art_1', 'one', 'One', 'x', '<p>x</p>', 'x', 'published', 1438000000000, 'src_1', 1, 1, 1, null),
      (2, 'art_2', 'two', 'Two', 'x', '<p>x</p>', 'x', 'published', 1441000000000, null, 1, 1, 1, null),
      (3, 'art_3', 'three', 'Three', 'x', '<p>x</p>', 'x', 'draft', null, 'src_1', 1, 1, 1, null),
      (4, 'art_4', 'four', 'Four', 'x', '<p>x</p>', 'x', 'published', 1441000000000, 'src_1', 1, 1, 1, 5);
    insert into article_tags (article_id, tag_id, position) values ('art_1', 'tag_1', 0), ('art_2', 'tag_1', 0), ('art_2', 'tag_2', 1), ('art_3', 'tag_2', 0), ('art_4', 'tag_2', 0);
  `)
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  const counts = sqlite.prepare('select facet, key, n from list_counts order by facet, key').all()
  // Published and not deleted: art_1 and art_2. The draft and the deleted article are not counted.
  t.same(counts, [
    { facet: 'all', key: '', n: 2 },
    { facet: 'month', key: '2015-07', n: 1 },
    { facet: 'month', key: '2015-08', n: 1 },
    { facet: 'source', key: 'src_1', n: 1 },
    { facet: 'tag', key: 'tag_1', n: 2 },
    { facet: 'tag', key: 'tag_2', n: 1 },
  ])
})
