import type { DbOrTx } from '../../db/client.js'
import type { ArticleRow } from '../articles/articles.repository.js'
import { absenceReason, publicListFrom } from '../articles/visibility.js'
import { createChangesRepository } from './changes.repository.js'

/**
 * Brings the change feed in line with an article's current row; called in the same transaction
 * as every write to an article. The feed keeps, per article, the newest state readers can see
 * (an upsert, or a tombstone if they had seen it), plus at most one planned upsert for the time
 * a scheduled or embargoed article will go live.
 */
export function recordChange(db: DbOrTx, row: ArticleRow, now: number) {
  const events = createChangesRepository(db)
  events.deleteFuture(row.id, now)
  const from = publicListFrom(row)
  const base = { articleId: row.id, version: row.version, createdAt: now }
  const listed = events.latestEffective(row.id, now)?.type === 'upsert'
  if (from !== null && from <= now) {
    events.deleteEffective(row.id, now)
    events.insert({ ...base, type: 'upsert', entersList: !listed, effectiveAt: now })
    return
  }
  // Not listed now: readers who saw it must be told it went; others need not hear of it.
  if (listed) {
    events.deleteEffective(row.id, now)
    events.insert({ ...base, type: 'remove', reason: absenceReason(row, now), effectiveAt: now })
  }
  if (from !== null) events.insert({ ...base, type: 'upsert', entersList: true, effectiveAt: from })
}
