// Words are runs of letters and digits (joined by an apostrophe, as in "country’s"); in
// scripts written without spaces (Chinese, Japanese) each character counts as a word, the
// usual convention there. A regular expression is ~20x faster than Intl.Segmenter here, and
// word counts are computed on every write and import.
const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}`
const WORD = new RegExp(String.raw`[${CJK}]|(?:(?![${CJK}])[\p{L}\p{N}\p{M}])+(?:['’](?:(?![${CJK}])[\p{L}\p{N}\p{M}])+)*`, 'gu')

export function countWords(text: string): number {
  let count = 0
  for (const _ of text.matchAll(WORD)) count++
  return count
}
