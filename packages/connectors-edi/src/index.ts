/**
 * `@distro/connectors-edi`: ASC X12 and UN/EDIFACT for distribution businesses: parse
 * (from strings, bytes or streams, with every interchange's own delimiters), serialise,
 * check envelopes, acknowledge (997, 999, CONTRL), and map to distro's canonical model.
 *
 * @example
 * ```ts
 * import { parseEdi } from "@distro/connectors-edi";
 *
 * const document = parseEdi("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260105*1200*U*00401*000000001*0*P*>~GS*PO*SENDER*RECEIVER*20260105*1200*1*X*004010~ST*850*0001~BEG*00*SA*PO-1**20260105~SE*3*0001~GE*1*1~IEA*1*000000001~");
 * document.interchanges[0]?.groups[0]?.transactions[0]?.type; // "850"
 * ```
 *
 * @module
 */
export * from "./acknowledge/index";
export * from "./generate/index";
export * from "./mapping/index";
export * from "./partner/index";
export * from "./partners/index";
export * from "./stream/index";
export * from "./syntax/index";
export * from "./validate/index";
