import type { EdiInbound, EdiPartnerV1 } from "@distro/core";
import type { EdiAcknowledgementLike } from "../console/sources";
import type { CollectingMetrics } from "./otel-metrics";

/**
 * The error kind an acknowledgement status counts as, or `undefined` when it accepts:
 * AK901 `E` is `accepted_with_errors`, `P` `partially_accepted`, `R`, `M`, `W`, `X` (and
 * any status not known) `rejected`; UCI04 `4` `rejected`; `A`, `7` and `8` accept.
 *
 * @param status - AK901 or UCI04
 * @returns the kind, or `undefined`
 * @example
 * ```ts
 * ediAcknowledgementErrorKind("E"); // "accepted_with_errors"
 * ediAcknowledgementErrorKind("A"); // undefined
 * ```
 */
export function ediAcknowledgementErrorKind(status: string): string | undefined {
  if (status === "A" || status === "7" || status === "8") return undefined;
  if (status === "E") return "accepted_with_errors";
  if (status === "P") return "partially_accepted";
  return "rejected";
}

/** Inbound issue codes (from an X12 partner's `receive`) and the kind each counts as. */
const INBOUND_KINDS: Readonly<Record<string, string | undefined>> = {
  // Counted from the settled acknowledgement itself.
  acknowledgement_rejected: undefined,
  transaction_rejected: "inbound_rejected",
  duplicate_interchange: "duplicate_interchange",
  unknown_partner: "misrouted",
  unsupported_transaction: "unsupported_transaction",
};

/**
 * Wraps an EDI trading partner (core's `EdiPartnerV1`, e.g. `createX12Partner(...)`) so
 * that the partner's errors are counted as documents come in, for error trends per partner:
 *
 * - `distro_edi_partner_errors_total` (counter; `partner`, `kind`):
 *   - what the partner said of what we sent, from the acknowledgements `receive` settled
 *     (`acknowledged`): `rejected`, `accepted_with_errors`, `partially_accepted`;
 *   - what we found in what the partner sent, from `receive`'s issues: `inbound_rejected`
 *     (a transaction set rejected in our 997), `duplicate_interchange`, `misrouted`,
 *     `unsupported_transaction`, `inbound_issue` (each other issue), and `unreadable`
 *     (an interchange `receive` could not read at all);
 *   - `overdue`: each outbound group whose acknowledgement is past due, counted once,
 *     at the first collection that finds it (when the partner has `overdue()`).
 * - `distro_edi_acknowledgements_overdue` (gauge; `partner`): groups overdue now.
 *
 * The `partner` label is the partner's id; no control number, order or person appears.
 * Every other member of the partner is passed through unchanged.
 *
 * @typeParam P - the partner's type, returned as given
 * @param metrics - the Prometheus registry, or the OpenTelemetry bridge
 * @param partner - the partner
 * @returns the partner, counting
 * @example
 * ```ts
 * import { createX12Partner } from "@distro/connectors-edi";
 * import { createMetricsRegistry, ediPartnerMetrics } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * const acme = ediPartnerMetrics(metrics, createX12Partner({ profile, controlNumbers }));
 * await acme.receive(inbound997); // distro_edi_partner_errors_total{partner="ZZ:ACME",kind="rejected"} ...
 * ```
 */
export function ediPartnerMetrics<P extends EdiPartnerV1>(metrics: CollectingMetrics, partner: P): P {
  const errors = metrics.counter("distro_edi_partner_errors_total", {
    help: "EDI trading partner errors by kind: acknowledgements rejecting what we sent, problems in what they sent, overdue acknowledgements",
    labelNames: ["partner", "kind"],
  });
  const overdueNow = metrics.gauge("distro_edi_acknowledgements_overdue", {
    help: "Outbound EDI groups whose acknowledgement is past due",
    labelNames: ["partner"],
  });
  const id = partner.partnerId;
  const overdueOf = (partner as { overdue?: unknown }).overdue;
  /** The overdue groups already counted (forgotten once they are no longer overdue). */
  let counted = new Set<string>();

  if (typeof overdueOf === "function") {
    metrics.onCollect(async () => {
      const overdue = (await overdueOf.call(partner)) as Iterable<EdiAcknowledgementLike>;
      const now = new Set<string>();
      for (const entry of overdue) {
        const key = `${entry.functionalId}\u0000${entry.controlNumber}\u0000${entry.sentAt}`;
        now.add(key);
        if (!counted.has(key)) errors.inc({ partner: id, kind: "overdue" });
      }
      counted = now;
      overdueNow.set(now.size, { partner: id });
    });
  }

  const receive = async (document: string | Uint8Array): Promise<EdiInbound> => {
    let inbound: EdiInbound & { acknowledged?: readonly EdiAcknowledgementLike[] };
    try {
      inbound = await partner.receive(document);
    } catch (error) {
      errors.inc({ partner: id, kind: "unreadable" });
      throw error;
    }
    for (const entry of inbound.acknowledged ?? []) {
      const kind = entry.status === undefined ? undefined : ediAcknowledgementErrorKind(entry.status);
      if (kind !== undefined) errors.inc({ partner: id, kind });
    }
    for (const issue of inbound.issues) {
      const kind = Object.hasOwn(INBOUND_KINDS, issue.code) ? INBOUND_KINDS[issue.code] : "inbound_issue";
      if (kind !== undefined) errors.inc({ partner: id, kind });
    }
    return inbound;
  };

  return new Proxy(partner, {
    get(target, property) {
      if (property === "receive") return receive;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
