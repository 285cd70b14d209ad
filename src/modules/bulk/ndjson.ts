import { Readable } from 'node:stream'
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

/**
 * An NDJSON response body: pulls JSON texts from `texts` only when the consumer (the socket, or
 * the compressor) asks for more, and writes each as a Buffer ending in \n. Each read is one turn
 * of the event loop (a setImmediate) that renders about `highWaterMark` bytes: a client on a fast
 * link drains the socket as fast as lines are written, so without these turns a whole export ran
 * as one chain of callbacks, holding back every other request, timer and V8's GC tasks until it
 * ended. Memory stays flat however long the output: a page of rows and a buffer of this size.
 */
export function ndjsonStream(texts: Iterator<string>, highWaterMark = 64 * 1024): Readable {
  let scheduled = false
  const fill = (stream: Readable) => {
    scheduled = false
    if (stream.destroyed) return
    try {
      // Stop at highWaterMark even while push() says "more": a consumer that takes every chunk
      // as it comes (a fast socket, inject) never says "enough", and the loop needs its turn.
      for (let bytes = 0; bytes < highWaterMark; ) {
        const next = texts.next()
        if (next.done) return void stream.push(null)
        const line = Buffer.allocUnsafe(Buffer.byteLength(next.value) + 1)
        line[line.write(next.value)] = 0x0a
        bytes += line.length
        if (!stream.push(line)) return
      }
    } catch (error) {
      stream.destroy(error as Error)
    }
  }
  return new Readable({
    highWaterMark,
    read() {
      if (scheduled) return
      scheduled = true
      setImmediate(fill, this)
    },
    destroy(error, callback) {
      texts.return?.() // ends the generator (a client that hung up) between two pages
      callback(error)
    },
  })
}
