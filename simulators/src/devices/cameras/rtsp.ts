// The RTSP/1.0 side of a camera that a heartbeat needs (RFC 2326): requests in, status lines out. No media.

/** Longest request head accepted, bytes; a longer one is answered 400 and the connection closed. */
export const RTSP_MAX_REQUEST = 8192;

/** Methods the simulated camera lists in `Public` (RFC 2326 §12.28); only OPTIONS is answered 200. */
const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE';
const KNOWN_METHODS = new Set(['OPTIONS', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD']);

/** The reply to one request head (request line and headers, without the final blank line), and whether to close. */
export function rtspReply(head: string, server = 'IOC-Telemetry-Camera-Sim'): { reply: string; close: boolean } {
  const lines = head.split('\r\n');
  const match = /^([A-Z_]+) (\S+) (RTSP\/\d\.\d)$/.exec(lines[0] ?? '');
  const cseq = lines.slice(1).map((l) => /^CSeq:\s*(\d{1,9})\s*$/i.exec(l)?.[1]).find((v) => v !== undefined);
  const headers = (extra: string[]): string => [...(cseq === undefined ? [] : [`CSeq: ${cseq}`]), `Server: ${server}`, ...extra].join('\r\n');
  const status = (code: number, text: string, extra: string[] = [], close = false): { reply: string; close: boolean } => ({
    reply: `RTSP/1.0 ${code} ${text}\r\n${headers(extra)}\r\n\r\n`,
    close,
  });
  if (!match || cseq === undefined) return status(400, 'Bad Request', [], true); // §12.17: CSeq is mandatory
  const [, method, , version] = match;
  if (version !== 'RTSP/1.0') return status(505, 'RTSP Version not supported');
  if (method === 'OPTIONS') return status(200, 'OK', [`Public: ${PUBLIC_METHODS}`]);
  if (method !== undefined && KNOWN_METHODS.has(method)) return status(401, 'Unauthorized', ['WWW-Authenticate: Basic realm="camera"']);
  return status(501, 'Not Implemented');
}

/**
 * Splits a byte stream into request heads (each ends with a blank line, RFC 2326 §6). Bodies are not expected from a
 * heartbeat client and are not supported (a Content-Length body would be read as the next request, and refused 400).
 */
export class RtspRequestReader {
  private buffered = '';

  /** Complete request heads in `chunk` (latin1), or 'overflow' when a head grew beyond RTSP_MAX_REQUEST. */
  push(chunk: Buffer): string[] | 'overflow' {
    this.buffered += chunk.toString('latin1');
    const heads: string[] = [];
    for (let end = this.buffered.indexOf('\r\n\r\n'); end >= 0; end = this.buffered.indexOf('\r\n\r\n')) {
      heads.push(this.buffered.slice(0, end));
      this.buffered = this.buffered.slice(end + 4);
    }
    if (this.buffered.length > RTSP_MAX_REQUEST) return 'overflow';
    return heads;
  }
}
