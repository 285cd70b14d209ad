import { StringDecoder } from 'node:string_decoder'

/** One line of an NDJSON input: its number in the input (from 1) and its text. */
export type NdjsonLine = { line: number; text: string }

export const NDJSON_MEDIA_TYPE = 'application/x-ndjson'

/**
 * The lines of a byte stream (a request body, a file), as they arrive: constant memory however
 * long the input, one line at a time. Line numbers count every line (\n or \r\n), so they match
 * an editor's; blank lines are skipped, and a UTF-8 byte order mark at the start is dropped.
 */
export async function* readLines(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<NdjsonLine> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let number = 0
  const take = (text: string): NdjsonLine | undefined => {
    number++
    const clean = (number === 1 ? text.replace(/^\uFEFF/, '') : text).replace(/\r$/, '')
    return clean.trim() === '' ? undefined : { line: number, text: clean }
  }
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
    let start = 0
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      const line = take(pending.slice(start, end))
      if (line) yield line
      start = end + 1
    }
    pending = pending.slice(start)
  }
  pending += decoder.end()
  const last = pending === '' ? undefined : take(pending)
  if (last) yield last
}
