import type { ArticleStatus } from '../../db/schema.js'
import { conflict } from '../../http/errors.js'

/** The moves an article may make between states (see ARCHITECTURE.md, article lifecycle). */
const MOVES: Record<ArticleStatus, readonly ArticleStatus[]> = {
  draft: ['published'],
  published: ['draft', 'archived'],
  archived: ['published'],
}

export function assertMove(from: ArticleStatus, to: ArticleStatus) {
  if (from === to || MOVES[from].includes(to)) return
  const allowed = MOVES[from]
  throw conflict(`An article that is ${from} cannot become ${to}; from ${from} it can become ${allowed.join(' or ')}.`, {
    currentStatus: from,
    allowedStatuses: allowed,
  })
}
