// Unicode-aware: counts words in scripts without spaces too (CJK, Thai), via ICU's word breaks.
const segmenter = new Intl.Segmenter('und', { granularity: 'word' })

export function countWords(text: string): number {
  let count = 0
  for (const segment of segmenter.segment(text)) if (segment.isWordLike) count++
  return count
}
