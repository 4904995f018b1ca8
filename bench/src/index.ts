import type { Bench } from './table.js';
import { alertsBench } from './alerts.bench.js';
import { ingestBench } from './ingest.bench.js';
import { edgeOutboxBench } from './edge-outbox.bench.js';
import { edgeRssBench } from './edge-rss.bench.js';
import { brokerBench } from './broker.bench.js';

/** Every benchmark, by name. Each lives in its own file beside this one. */
export const benches: Bench[] = [alertsBench, ingestBench, edgeOutboxBench, edgeRssBench, brokerBench];
