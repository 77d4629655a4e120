import type { AuditLog, DeadLetterStore, ExceptionQueueStore, FlowFilter, FlowInstance } from "@distro/core";

/**
 * What the console reads flows from: a core `FlowStore` or an orchestration
 * `ProcessManager` (both have these two methods). Only structure is required, so the
 * console never depends on the orchestration package.
 *
 * @example
 * ```ts
 * const flows: FlowSource = createProcessManager({ audit }); // or createMemoryFlowStore()
 * ```
 */
export interface FlowSource {
  /** Instances matching a filter. */
  list(filter?: FlowFilter): Promise<FlowInstance[]>;
  /** One instance by id. */
  get(id: string): Promise<FlowInstance | undefined>;
  /**
   * Continues a held instance (a `ProcessManager` has it; a bare `FlowStore` does not, and
   * the console then offers no release).
   */
  release?(id: string, options?: { note?: string }): Promise<FlowInstance>;
}

/**
 * What the console needs of a core `Bus` to replay and discard dead letters.
 *
 * @example
 * ```ts
 * const bus: DeadLetterBus = createBus();
 * ```
 */
export interface DeadLetterBus {
  /** The dead-letter store the bus writes to. */
  readonly deadLetters: DeadLetterStore;
  /** Publishes a pending dead letter again, to its subscriber only. */
  replay(id: string): Promise<{ id: string }>;
  /** Discards a pending dead letter with a reason. */
  discard(id: string, reason: string): Promise<void>;
}

/**
 * The counters of a sync job's last run, as `@distro/sync`'s `SyncRunReport` has them.
 *
 * @example
 * ```ts
 * const report: SyncRunReportLike | undefined = inventoryJob.lastReport();
 * ```
 */
export interface SyncRunReportLike {
  /** The run. */
  runId: string;
  /** Incremental or full. */
  mode: "incremental" | "full";
  /** Whether it reached the end of the source or stopped. */
  status: "completed" | "stopped";
  /** Pages read. */
  pages: number;
  /** Records read. */
  read: number;
  /** Records written. */
  written: number;
  /** Records skipped because their content was unchanged. */
  unchanged: number;
  /** Records refused as invalid. */
  invalid: number;
  /** The cursor reached. */
  cursor: string | undefined;
  /** How far behind the source the job was when the run ended. */
  lagMs: number | undefined;
  /** The error that stopped the run, when one did. */
  error?: { code: string; message: string };
}

/**
 * A sync job checkpoint, as `@distro/sync`'s `CheckpointStore` keeps it.
 *
 * @example
 * ```ts
 * const checkpoint: CheckpointLike | undefined = await checkpoints.load("inventory:erp->shop");
 * ```
 */
export interface CheckpointLike {
  /** The cursor of the last written page. */
  cursor: string | undefined;
  /** The run that wrote it. */
  runId: string;
  /** Whether that run finished. */
  complete: boolean;
  /** The source time of the last record written, epoch milliseconds. */
  sourceTime?: number;
  /** When it was saved, epoch milliseconds. */
  updatedAt: number;
}

/**
 * A sync job whose last run can be read (`@distro/sync`'s `SyncJob` fits).
 *
 * @example
 * ```ts
 * const job: SyncJobLike = createSyncJob({ id: "inventory:erp->shop", pages, schema, keyOf, write, checkpoints });
 * ```
 */
export interface SyncJobLike {
  /** The report of the last finished run, if any. */
  lastReport(): SyncRunReportLike | undefined;
}

/**
 * Where a job's checkpoints can be read (`@distro/sync`'s `CheckpointStore` fits).
 *
 * @example
 * ```ts
 * const reader: CheckpointReader = createMemoryCheckpointStore();
 * ```
 */
export interface CheckpointReader {
  /** The job's last checkpoint, if any. */
  load(jobId: string): Promise<CheckpointLike | undefined>;
}

/**
 * One sync job the console shows: its last run and its last checkpoint.
 *
 * @example
 * ```ts
 * const source: SyncJobSource = { id: "inventory:erp->shop", name: "Inventory", job, checkpoints };
 * ```
 */
export interface SyncJobSource {
  /** The job id (the checkpoint key). */
  id: string;
  /** A name for people (defaults to the id). */
  name?: string;
  /** The job, for the report of its last run (a `SyncJob` from `@distro/sync` fits). */
  job?: SyncJobLike;
  /** Where its checkpoints are kept (a `CheckpointStore` from `@distro/sync` fits). */
  checkpoints?: CheckpointReader;
}

/**
 * The health of one upstream system at one moment.
 *
 * @example
 * ```ts
 * const snapshot: UpstreamSnapshot = { system: "erp", utilisation: 0.42, circuit: "closed" };
 * ```
 */
export interface UpstreamSnapshot {
  /** The system, e.g. `erp`. */
  system: string;
  /** Calls started in the last interval divided by the configured rate (0 to 1 and above). */
  utilisation?: number;
  /** The configured rate per interval. */
  configuredRate?: number;
  /** The rate in force now (lower than configured while throttled). */
  currentRate?: number;
  /** The interval of the rate, in milliseconds. */
  intervalMs?: number;
  /** Calls waiting for a start. */
  queued?: number;
  /** Calls in flight. */
  inFlight?: number;
  /** Calls refused by the limiter so far. */
  refused?: number;
  /** Throttle signals (429, 503, slow calls) so far. */
  throttled?: number;
  /** The circuit breaker's state. */
  circuit?: "closed" | "open" | "half-open";
  /** Times the circuit has opened. */
  circuitOpened?: number;
  /** Latency percentiles over the recent calls, in milliseconds. */
  latency?: { p50: number; p95: number; p99: number; count: number };
  /** Share of recent calls that failed (0 to 1). */
  errorRate?: number;
}

/**
 * One upstream the console shows (see `createUpstreamProbe`, which implements it).
 *
 * @example
 * ```ts
 * const erp: UpstreamSource = createUpstreamProbe({ system: "erp", ratePerInterval: 50 });
 * ```
 */
export interface UpstreamSource {
  /** The system, e.g. `erp`. */
  readonly system: string;
  /** The health now. */
  snapshot(): UpstreamSnapshot | Promise<UpstreamSnapshot>;
}

/**
 * An outbound EDI group waiting for (or settled by) its 997 / 999 / CONTRL, shaped as
 * `@distro/connectors-edi`'s `ExpectedAcknowledgement`.
 *
 * @example
 * ```ts
 * const pending: EdiAcknowledgementLike[] = tracker.pending();
 * ```
 */
export interface EdiAcknowledgementLike {
  /** The trading partner. */
  partner: string;
  /** GS01 (`PO`, `SH`, `IN`) or `UNB`. */
  functionalId: string;
  /** The group (or interchange) control number. */
  controlNumber: string;
  /** When it was sent, epoch milliseconds. */
  sentAt: number;
  /** When the acknowledgement is due, epoch milliseconds. */
  dueAt: number;
  /** AK901 (`A`, `E`, `P`, `R`) or UCI04 (`7`, `4`, `8`) once acknowledged. */
  status?: string;
  /** When the acknowledgement arrived. */
  acknowledgedAt?: number;
}

/**
 * The EDI partners and the acknowledgements of what was sent to them.
 *
 * @example
 * ```ts
 * const ediPartners: EdiPartnersSource = {
 *   partners: [{ id: "ZZ:ACME", name: "Acme Supply" }],
 *   acknowledgements: () => [...tracker.pending(), ...settled],
 * };
 * ```
 */
export interface EdiPartnersSource {
  /** The partners to list, with names for people (partners seen in acknowledgements are added). */
  partners?: readonly { id: string; name?: string }[];
  /** The outbound groups sent, pending or settled. */
  acknowledgements(): Iterable<EdiAcknowledgementLike> | Promise<Iterable<EdiAcknowledgementLike>>;
}

/**
 * Everything the console can show; each page appears only when its source is given.
 *
 * @example
 * ```ts
 * const sources: ConsoleSources = { flows: manager, audit, bus, upstreams: [erp] };
 * ```
 */
export interface ConsoleSources {
  /** Flow instances (a `FlowStore` or a `ProcessManager`). */
  flows?: FlowSource;
  /** The audit trail, shown as a timeline per correlation id. */
  audit?: AuditLog;
  /** The bus: dead letters with replay and discard. */
  bus?: DeadLetterBus;
  /** A dead-letter store on its own (inspect and discard; replay needs `bus`). */
  deadLetters?: DeadLetterStore;
  /** Sync jobs with lag and last checkpoint. */
  syncJobs?: readonly SyncJobSource[];
  /** Upstream health. */
  upstreams?: readonly UpstreamSource[];
  /** EDI partners with acknowledgement status. */
  ediPartners?: EdiPartnersSource;
  /** Exception queues for people: items routed from dead letters and flow holds, with assign and resolve. */
  exceptions?: ExceptionsSource;
}

/**
 * What the console's Exceptions page reads and acts on: the exception queue store (from
 * `@distro/core`, or `createPostgresExceptionQueueStore`) and the queues to show even
 * when they are empty (a router's `queues`).
 *
 * @example
 * ```ts
 * const exceptions: ExceptionsSource = { store: createMemoryExceptionQueueStore(), queues: router.queues };
 * ```
 */
export interface ExceptionsSource {
  /** Where the items are. */
  store: ExceptionQueueStore;
  /** Queues listed even with no item, in this order (e.g. `router.queues`). */
  queues?: readonly string[];
}
