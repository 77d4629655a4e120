/**
 * The other side of the wire, for the demo: the customer's EDI system. It writes 850s
 * with its own envelope and control numbers, reads what we send, and answers every 855,
 * 856 and 810 with its own 997, as a real trading partner (or its VAN) does.
 * In production this is the customer; nothing here is copied into a gateway.
 */
import {
  acknowledgeX12,
  buildX12Interchange,
  createMemoryControlNumberStore,
  type EdiDocument,
  type PartyId,
  parseEdi,
  type SegmentInput,
  serializeEdi,
  validateDocument,
} from "@distro/connectors-edi";

/** One purchase order line as the buyer writes it. */
export interface BuyerLine {
  /** Our SKU (the buyer orders by vendor part number, PO107 with PO106 `VP`). */
  sku: string;
  /** Quantity in the buyer's unit. */
  quantity: string;
  /** The buyer's unit code (`EA`, `CA`). */
  uom: string;
  /** Contract unit price. */
  unitPrice: string;
  /** Description (PID05). */
  description: string;
}

/** The buyer's EDI system. */
export interface SimulatedBuyer {
  /** Writes an 850 interchange. */
  purchaseOrder(poNumber: string, shipToCode: string, lines: readonly BuyerLine[]): Promise<string>;
  /** Reads a document we sent; returns the buyer's 997 for it (none for a 997). */
  receive(document: string): Promise<string | undefined>;
  /** Every document the buyer received, parsed. */
  received(): EdiDocument[];
}

/**
 * Creates the simulated buyer.
 *
 * @param settings - the buyer's and our interchange ids, and the clock
 * @returns the buyer
 */
export function createSimulatedBuyer(settings: {
  buyer: PartyId;
  seller: PartyId;
  clock: () => Date;
}): SimulatedBuyer {
  const controlNumbers = createMemoryControlNumberStore({ start: 4201 });
  const inbox: EdiDocument[] = [];
  return {
    async purchaseOrder(poNumber, shipToCode, lines) {
      const date = settings.clock().toISOString().slice(0, 10).replace(/-/g, "");
      const segments: SegmentInput[] = [
        ["BEG", "00", "SA", poNumber, "", date],
        ["REF", "DP", "038"],
        ["N1", "ST", "Adatum Columbus DC", "92", shipToCode],
      ];
      lines.forEach((line, index) => {
        segments.push([
          "PO1",
          String(index + 1),
          line.quantity,
          line.uom,
          line.unitPrice,
          "",
          "VP",
          line.sku,
        ]);
        segments.push(["PID", "F", "", "", "", line.description]);
      });
      segments.push(["CTT", String(lines.length)]);
      const document = await buildX12Interchange(
        { sender: settings.buyer, receiver: settings.seller, controlNumbers, clock: settings.clock },
        [{ functionalId: "PO", version: "004010", transactions: [{ type: "850", segments }] }],
      );
      return serializeEdi(document);
    },
    async receive(text) {
      const document = parseEdi(text, { validate: (parsed) => validateDocument(parsed) });
      inbox.push(document);
      const interchange = document.interchanges[0];
      if (!interchange || interchange.groups.every((group) => group.functionalId === "FA")) return undefined;
      return serializeEdi(await acknowledgeX12(interchange, { controlNumbers, clock: settings.clock }));
    },
    received: () => inbox,
  };
}
