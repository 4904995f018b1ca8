/**
 * The complete MQTT 3.1.1 packets at the start of `buf`, for the bench's raw-socket clients and its Node floor: for
 * each, `visit(first, body, end, start)` gets the fixed header's first byte, where the variable header begins, where
 * the packet ends and where it starts. Returns where the incomplete rest begins (keep it for the next read). `visit` returning false stops.
 */
export function scanFrames(buf: Buffer, visit: (first: number, body: number, end: number, start: number) => boolean | void): number {
  let pos = 0;
  for (;;) {
    if (buf.length - pos < 2) return pos;
    let len = 0;
    let mult = 1;
    let i = pos + 1;
    for (; i < buf.length; i++) {
      len += (buf[i]! & 0x7f) * mult;
      mult *= 128;
      if ((buf[i]! & 0x80) === 0) break;
    }
    if (i >= buf.length || i + 1 + len > buf.length) return pos;
    const body = i + 1;
    if (visit(buf[pos]!, body, body + len, pos) === false) return body + len;
    pos = body + len;
  }
}
