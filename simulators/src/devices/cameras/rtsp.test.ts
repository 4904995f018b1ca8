import { describe, expect, it } from 'vitest';
import { createPrng } from '../../util/prng.js';
import { RTSP_MAX_REQUEST, RtspRequestReader, rtspReply } from './rtsp.js';

describe('rtspReply', () => {
  it('answers OPTIONS 200 OK, echoing CSeq and listing the methods (RFC 2326 §10.1)', () => {
    const { reply, close } = rtspReply('OPTIONS rtsp://127.0.0.1:554/ RTSP/1.0\r\nCSeq: 1');
    expect(reply).toBe(
      'RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: IOC-Telemetry-Camera-Sim\r\nPublic: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE\r\n\r\n',
    );
    expect(close).toBe(false);
  });

  it.each([
    ['DESCRIBE rtsp://cam/stream1 RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp', 'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n', false],
    ['OPTIONS * RTSP/2.0\r\nCSeq: 3', 'RTSP/1.0 505 RTSP Version not supported\r\nCSeq: 3\r\n', false],
    ['FETCH rtsp://cam/ RTSP/1.0\r\nCSeq: 4', 'RTSP/1.0 501 Not Implemented\r\nCSeq: 4\r\n', false],
    ['OPTIONS rtsp://cam/ RTSP/1.0', 'RTSP/1.0 400 Bad Request\r\nServer', true], // no CSeq
    ['GET / HTTP/1.1\r\nHost: cam', 'RTSP/1.0 400 Bad Request\r\nServer', true],
  ])('answers %j with %j', (head, start, close) => {
    const out = rtspReply(head);
    expect(out.reply.startsWith(start)).toBe(true);
    expect(out.reply.endsWith('\r\n\r\n')).toBe(true);
    expect(out.close).toBe(close);
  });
});

describe('RtspRequestReader', () => {
  it('splits pipelined requests whatever the chunking', () => {
    const text = 'OPTIONS rtsp://a/ RTSP/1.0\r\nCSeq: 1\r\n\r\nOPTIONS rtsp://a/ RTSP/1.0\r\nCSeq: 2\r\n\r\n';
    for (const size of [1, 3, 7, text.length]) {
      const reader = new RtspRequestReader();
      const heads: string[] = [];
      for (let i = 0; i < text.length; i += size) {
        const out = reader.push(Buffer.from(text.slice(i, i + size), 'latin1'));
        if (out !== 'overflow') heads.push(...out);
      }
      expect(heads).toEqual(['OPTIONS rtsp://a/ RTSP/1.0\r\nCSeq: 1', 'OPTIONS rtsp://a/ RTSP/1.0\r\nCSeq: 2']);
    }
  });

  it('survives random bytes (fixed seed): never throws, reports overflow once a head outgrows the limit', () => {
    const prng = createPrng(2025);
    const reader = new RtspRequestReader();
    let total = 0;
    let overflowed = false;
    while (!overflowed) {
      const chunk = Buffer.from(Array.from({ length: prng.int(1, 512) }, () => prng.int(0, 255)));
      total += chunk.length;
      const out = reader.push(chunk);
      if (out === 'overflow') overflowed = true;
      else out.forEach((head) => expect(() => rtspReply(head)).not.toThrow());
      expect(total).toBeLessThan(RTSP_MAX_REQUEST * 100);
    }
    expect(overflowed).toBe(true);
  });
});
