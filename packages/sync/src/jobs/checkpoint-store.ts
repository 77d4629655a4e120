/** Where a job stands: the cursor up to which every record has been written. */
export interface Checkpoint {
  /** The job. */
  jobId: string;
  /** The source cursor after the last fully written page (undefined: from the start). */
  cursor: string | undefined;
  /** The run that wrote this checkpoint; a full refresh keeps one id across a crash. */
  runId: string;
  /** Whether that run is a full refresh or an incremental one. */
  mode: "incremental" | "full";
  /** False while a run is in progress; a crashed run resumes from here. */
  complete: boolean;
  /** Newest change time (ms) of the records written, when the source says. */
  sourceTime?: number;
  /** When the checkpoint was saved (ms on the job's clock). */
  updatedAt: number;
}

/**
 * The port where jobs keep their checkpoints. A job saves only after the records up to
 * the checkpoint are written, so a checkpoint is never ahead of the data.
 */
export interface CheckpointStore {
  /** The job's checkpoint, or undefined if it never ran. */
  load(jobId: string): Promise<Checkpoint | undefined>;
  /** Replaces the job's checkpoint. */
  save(checkpoint: Checkpoint): Promise<void>;
  /** Forgets the job's checkpoint (the next run starts from the beginning). */
  delete(jobId: string): Promise<void>;
}

/**
 * The in-process {@link CheckpointStore}: survives a job crash inside one process (and is
 * the reference the durable stores follow). Copies on the way in and out.
 *
 * @returns the store
 * @example
 * ```ts
 * import { createMemoryCheckpointStore } from "@distro/sync";
 *
 * const checkpoints = createMemoryCheckpointStore();
 * await checkpoints.save({ jobId: "items", cursor: "2026-01-01T00:00:00Z", runId: "r1", mode: "incremental", complete: true, updatedAt: 0 });
 * (await checkpoints.load("items"))?.cursor; // "2026-01-01T00:00:00Z"
 * ```
 */
export function createMemoryCheckpointStore(): CheckpointStore {
  const checkpoints = new Map<string, Checkpoint>();
  return {
    async load(jobId) {
      const found = checkpoints.get(jobId);
      return found ? { ...found } : undefined;
    },
    async save(checkpoint) {
      checkpoints.set(checkpoint.jobId, { ...checkpoint });
    },
    async delete(jobId) {
      checkpoints.delete(jobId);
    },
  };
}
