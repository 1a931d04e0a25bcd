/**
 * A response body, read until it ends or passes `limit` bytes: then the stream is cancelled (the rest is
 * never downloaded) and what was read, one chunk over the limit, is returned, so the caller sees it is too
 * large without the memory of a whole oversized body.
 */
export async function readBounded(response: Response, limit: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  // Node's fetch streams bytes; its typings leave the chunk type open.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
