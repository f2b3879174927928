/**
 * What a session's files hold: the header (session.json, with a CRC of its fields), snapshots (the folded
 * state with a CRC), journal lines (`<crc32> <json>`), and the ids that name sessions.
 */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import * as z from 'zod';
import { SESSION_SCHEMA_VERSION, sessionEventSchema, type SessionEvent, type SessionState } from './events';

export const headerSchema = z.object({
  version: z.number().int(),
  sessionId: z.string().min(1),
  created: z.string(),
  name: z.string(),
  owner: z.string().optional(),
  crc: z.string().optional(),
});
export type SessionHeader = z.infer<typeof headerSchema>;
export const snapshotSchema = z.object({ version: z.number().int(), crc: z.string(), state: z.unknown() });

// --- CRC-32 (IEEE), for journal lines and snapshots ---------------------------------------------------
const nativeCrc32 = (zlib as { crc32?: (data: string) => number }).crc32;
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): string {
  // Node's native CRC-32 (20.15+) when present; the table below otherwise.
  if (nativeCrc32) {
    return nativeCrc32(text).toString(16).padStart(8, '0');
  }
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8); // the index is masked to 0..255: never absent
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/** RFC 9562 UUIDv7: time-ordered, so names sort oldest first. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes.readUInt8(6) & 0x0f) | 0x70;
  bytes[8] = (bytes.readUInt8(8) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The header carries a CRC of its fields, so that damage is seen and the header rebuilt. */
export function headerText(sessionId: string, created: string, name: string, owner?: string): string {
  const fields = { version: SESSION_SCHEMA_VERSION, sessionId, created, name, ...(owner ? { owner } : {}) };
  return `${JSON.stringify({ ...fields, crc: crc32(JSON.stringify(fields)) }, null, 2)}\n`;
}

/** Whether a parsed header matches its CRC (headers written before the CRC existed pass). */
export function headerIntact(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || !('crc' in data)) {
    return true; // headers written before the CRC existed
  }
  // `owner` is left out of the JSON when absent, as in headers written before it existed.
  const { crc, version, sessionId, created, name, owner } = data as Record<string, unknown>;
  return crc === crc32(JSON.stringify({ version, sessionId, created, name, owner }));
}

/** A snapshot file's content: the state and the CRC of its JSON. */
export function snapshotText(state: SessionState): string {
  const stateText = JSON.stringify(state);
  return JSON.stringify({ version: SESSION_SCHEMA_VERSION, crc: crc32(stateText), state });
}

/** One journal line, `<crc32 of the body> <body>\n`, the body being `{ seq, time, event }`. */
export function journalLine(seq: number, event: SessionEvent, time = new Date()): string {
  const body = JSON.stringify({ seq, time: time.toISOString(), event });
  return `${crc32(body)} ${body}\n`;
}

/** A journal line's sequence number and event, or undefined when its CRC, JSON or event does not hold. */
export function parseJournalLine(line: string): { seq: number; event: SessionEvent } | undefined {
  const space = line.indexOf(' ');
  if (space !== 8) {
    return undefined;
  }
  const body = line.slice(9);
  if (crc32(body) !== line.slice(0, 8)) {
    return undefined;
  }
  try {
    const record = JSON.parse(body) as { seq?: unknown; event?: unknown };
    const event = sessionEventSchema.safeParse(record.event);
    return typeof record.seq === 'number' && event.success ? { seq: record.seq, event: event.data } : undefined;
  } catch {
    return undefined; // not JSON: the replay reports the line as damaged
  }
}
