import t from 'tap'
import { newId } from '../src/ids.js'

// Ids are time-ordered (src/ids.ts): new rows go to the end of the indexes keyed by them.

t.test('an id is the prefix and 16 base32 characters, in creation order and distinct', async (t) => {
  const ids = Array.from({ length: 10_000 }, () => newId('art'))
  for (const id of ids.slice(0, 100)) t.match(id, /^art_[0-9a-hjkmnp-tv-z]{16}$/)
  t.equal(new Set(ids).size, ids.length, 'distinct, also within one millisecond')
  t.same([...ids].sort(), ids, 'sorted as made')
})

t.test('the first nine characters are the time in milliseconds', async (t) => {
  const before = Date.now()
  const id = newId('tag')
  const after = Date.now()
  const time = [...id.slice(4, 13)].reduce((n, c) => n * 32 + '0123456789abcdefghjkmnpqrstvwxyz'.indexOf(c), 0)
  t.ok(time >= before && time <= after + 1, `${time} within [${before}, ${after}]`)
})
