import type { EdiDocument } from "../syntax/model";

/** An outbound functional group (or EDIFACT interchange) waiting for its acknowledgement. */
export interface ExpectedAcknowledgement {
  /** The trading partner it was sent to. */
  partner: string;
  /** GS01 functional identifier (`PO`, `SH`, `IN`), or `UNB` for an EDIFACT interchange. */
  functionalId: string;
  /** GS06 group control number, or UNB05 for EDIFACT. */
  controlNumber: string;
  /** When it was sent (epoch milliseconds). */
  sentAt: number;
  /** When the acknowledgement is overdue (epoch milliseconds). */
  dueAt: number;
  /** The acknowledgement status once received: AK901 (`A`, `E`, `P`, `R`) or UCI04 (`7`, `4`, `8`). */
  status?: string;
  /** When the acknowledgement arrived. */
  acknowledgedAt?: number;
}

/** Settings of {@link createAcknowledgementTracker}. */
export interface AcknowledgementTrackerSettings {
  /** How long a partner has to acknowledge (default 24 hours). */
  timeoutMs?: number;
  /** The clock (default `Date.now`). */
  clock?: () => number;
}

/** Tracks outbound groups until their 997 / 999 / CONTRL arrives. */
export interface AcknowledgementTracker {
  /**
   * Records every group of an interchange just sent.
   *
   * @param partner - the partner key
   * @param document - the outbound document
   * @returns the expectations recorded
   */
  sent(partner: string, document: EdiDocument): ExpectedAcknowledgement[];
  /**
   * Matches an inbound 997 / 999 (AK1 group control numbers) or CONTRL (UCI interchange
   * reference) against what was sent.
   *
   * @param partner - the partner key
   * @param document - the inbound acknowledgement document
   * @returns the expectations it settled
   */
  received(partner: string, document: EdiDocument): ExpectedAcknowledgement[];
  /**
   * The expectations past their due time and still unacknowledged.
   *
   * @returns overdue expectations, oldest first
   */
  overdue(): ExpectedAcknowledgement[];
  /**
   * Every expectation not yet acknowledged.
   *
   * @returns pending expectations
   */
  pending(): ExpectedAcknowledgement[];
}

/**
 * Creates an in-process {@link AcknowledgementTracker}: record what was sent, settle it
 * when the partner's 997 / 999 / CONTRL arrives, and list what is overdue.
 *
 * @param settings - timeout and clock
 * @returns the tracker
 * @example
 * ```ts
 * const tracker = createAcknowledgementTracker({ timeoutMs: 4 * 60 * 60 * 1000 });
 * tracker.sent("ZZ:BUYER", outbound856);
 * tracker.received("ZZ:BUYER", parseEdi(inbound997));
 * tracker.overdue(); // groups the partner never acknowledged in time
 * ```
 */
export function createAcknowledgementTracker(
  settings: AcknowledgementTrackerSettings = {},
): AcknowledgementTracker {
  const timeoutMs = settings.timeoutMs ?? 24 * 60 * 60 * 1000;
  const clock = settings.clock ?? Date.now;
  const entries = new Map<string, ExpectedAcknowledgement>();
  const key = (partner: string, functionalId: string, controlNumber: string) =>
    `${partner}\u0000${functionalId}\u0000${controlNumber.replace(/^0+(?=\d)/, "")}`;

  return {
    sent(partner, document) {
      const now = clock();
      const recorded: ExpectedAcknowledgement[] = [];
      for (const interchange of document.interchanges) {
        if (interchange.standard === "edifact") {
          const entry = {
            partner,
            functionalId: "UNB",
            controlNumber: interchange.controlNumber,
            sentAt: now,
            dueAt: now + timeoutMs,
          };
          entries.set(key(partner, "UNB", interchange.controlNumber), entry);
          recorded.push(entry);
          continue;
        }
        for (const group of interchange.groups) {
          if (group.functionalId === "FA") continue;
          const entry = {
            partner,
            functionalId: group.functionalId,
            controlNumber: group.controlNumber,
            sentAt: now,
            dueAt: now + timeoutMs,
          };
          entries.set(key(partner, group.functionalId, group.controlNumber), entry);
          recorded.push(entry);
        }
      }
      return recorded;
    },
    received(partner, document) {
      const now = clock();
      const settled: ExpectedAcknowledgement[] = [];
      for (const interchange of document.interchanges) {
        for (const group of interchange.groups) {
          for (const transaction of group.transactions) {
            if (transaction.type === "997" || transaction.type === "999") {
              const ak1 = transaction.segments.find((segment) => segment.tag === "AK1");
              const ak9 = transaction.segments.find((segment) => segment.tag === "AK9");
              if (!ak1) continue;
              const entry = entries.get(key(partner, ak1.get(1), ak1.get(2)));
              if (entry && entry.acknowledgedAt === undefined) {
                entry.status = ak9?.get(1) || "A";
                entry.acknowledgedAt = now;
                settled.push(entry);
              }
            } else if (transaction.type === "CONTRL") {
              const uci = transaction.segments.find((segment) => segment.tag === "UCI");
              if (!uci) continue;
              const entry = entries.get(key(partner, "UNB", uci.get(1)));
              if (entry && entry.acknowledgedAt === undefined) {
                entry.status = uci.get(4);
                entry.acknowledgedAt = now;
                settled.push(entry);
              }
            }
          }
        }
      }
      return settled;
    },
    overdue() {
      const now = clock();
      return [...entries.values()]
        .filter((entry) => entry.acknowledgedAt === undefined && entry.dueAt <= now)
        .sort((a, b) => a.sentAt - b.sentAt);
    },
    pending() {
      return [...entries.values()].filter((entry) => entry.acknowledgedAt === undefined);
    },
  };
}
