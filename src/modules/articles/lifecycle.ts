import type { ArticleStatus } from '../../db/schema.js'
import { conflict } from '../../http/errors.js'

/**
 * The article lifecycle (ARCHITECTURE.md). `scheduled` is not stored: it is a published
 * article whose publication time is still ahead, so it goes live by the clock alone.
 */
export type ArticleState = ArticleStatus | 'scheduled'
export type Transition = 'publish' | 'unpublish' | 'archive' | 'withdraw'
/** Moves that only a field change can ask for (publishedAt into the future): never allowed from published. */
type Move = Transition | 'schedule'

const ALLOWED: Record<ArticleState, readonly Transition[]> = {
  draft: ['publish'],
  scheduled: ['publish', 'unpublish'], // publish: now, or at another time
  published: ['unpublish', 'archive', 'withdraw'],
  archived: ['publish', 'withdraw'],
  withdrawn: [],
}

const PAST: Record<Move, string> = {
  publish: 'published',
  unpublish: 'unpublished',
  archive: 'archived',
  withdraw: 'withdrawn',
  schedule: 'scheduled for later',
}

export function stateOf(row: { status: ArticleStatus; publishedAt: number | null }, now: number): ArticleState {
  return row.status === 'published' && row.publishedAt !== null && row.publishedAt > now ? 'scheduled' : row.status
}

export const allowedTransitions = (state: ArticleState) => ALLOWED[state]

/** A refused move is a 409 that lists what is possible from here. */
export function assertTransition(state: ArticleState, transition: Move) {
  const allowed = ALLOWED[state]
  if ((allowed as readonly Move[]).includes(transition)) return
  const options = allowed.length === 0 ? 'nothing: it is final' : allowed.join(', ')
  throw conflict(`An article that is ${state} cannot be ${PAST[transition]}; from ${state} it allows ${options}.`, {
    currentStatus: state,
    allowedTransitions: allowed,
  })
}

/** The transition a PATCH of `status` stands for. */
export function transitionTo(target: ArticleStatus): Transition {
  return ({ draft: 'unpublish', published: 'publish', archived: 'archive', withdrawn: 'withdraw' } as const)[target]
}
