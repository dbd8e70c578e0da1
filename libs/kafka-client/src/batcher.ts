// The one rule for what goes into one produce request, shared by the Kafka sink (coalescing
// writes, splitting a group into requests) and the spool's drainer (building a group from
// spooled entries, so that one group is one request of the sink). A record counts as its key
// and value in UTF-8 bytes plus its framing (recordRequestBytes); a request holds at most
// maxRecords records and maxBytes of those bytes, the budget limits.ts computes from
// kafka.maxRequestBytes and the topics' max.message.bytes. The first record always fits: one
// larger than the budget travels alone (the broker, or the record limit, decides its fate).
import { recordBytes } from '@sparkwire/pipeline';
import type { ProducerRecord } from './client';
import { RECORD_OVERHEAD_BYTES } from './limits';

/** A record's share of a produce request: key + value (UTF-8) plus its framing in the batch. */
export function recordRequestBytes(r: ProducerRecord, perRecordBytes = RECORD_OVERHEAD_BYTES): number {
  return recordBytes(r) + perRecordBytes;
}

/** What one request still takes, filled by add(). */
export class RequestBudget {
  private items = 0;
  records = 0;
  bytes = 0;

  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {}

  /** Whether `records` more records of `bytes` (recordRequestBytes) fit; always true while empty. */
  fits(records: number, bytes: number): boolean {
    return this.items === 0 || (this.records + records <= this.maxRecords && this.bytes + bytes <= this.maxBytes);
  }

  add(records: number, bytes: number): void {
    this.items++;
    this.records += records;
    this.bytes += bytes;
  }

  /** Nothing more fits, whatever its size. */
  get full(): boolean {
    return this.records >= this.maxRecords || this.bytes >= this.maxBytes;
  }
}

/**
 * Splits the group's records, in order, into runs whose sum of (recordBytes + perRecordBytes)
 * is at most maxBytes; a record larger than that on its own is a run by itself.
 */
export function chunkByBytes<R extends ProducerRecord>(group: Array<{ records: R[] }>, maxBytes: number, perRecordBytes = RECORD_OVERHEAD_BYTES): R[][] {
  const chunks: R[][] = [];
  let cur: R[] = [];
  let budget = new RequestBudget(Infinity, maxBytes);
  for (const p of group) {
    for (const r of p.records) {
      const b = recordRequestBytes(r, perRecordBytes);
      if (!budget.fits(1, b)) {
        chunks.push(cur);
        cur = [];
        budget = new RequestBudget(Infinity, maxBytes);
      }
      cur.push(r);
      budget.add(1, b);
    }
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}
