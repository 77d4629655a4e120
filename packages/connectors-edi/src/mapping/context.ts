import {
  type Address,
  isDistroError,
  normalizeDecimal,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import type { Segment, Transaction } from "../syntax/model";

/** Where a canonical field came from, so a schema error can name the segment and element. */
interface Source {
  tag: string;
  index: number;
  element?: number;
}

/**
 * Collects mapping problems, each naming its segment and element, and turns canonical
 * schema errors back into segment-named issues.
 *
 * @internal
 */
export class MappingContext {
  readonly issues: ValidationIssue[] = [];
  private readonly sources = new Map<string, Source>();

  constructor(readonly transaction: Transaction) {}

  /** Records that canonical `path` came from `segment` element `element`. */
  source(path: (string | number)[], segment: Segment, element?: number): void {
    this.sources.set(path.join("."), {
      tag: segment.tag,
      index: segment.index,
      ...(element === undefined ? {} : { element }),
    });
  }

  fail(
    segment: Segment | undefined,
    element: number | undefined,
    code: string,
    message: string,
    path: (string | number)[] = [],
  ): void {
    const tag = segment?.tag ?? this.transaction.header.tag;
    const issue: ValidationIssue = {
      code,
      path,
      message: `${tag}${element === undefined ? "" : String(element).padStart(2, "0")}: ${message}`,
      segment: {
        tag,
        index: segment?.index ?? this.transaction.header.index,
        ...(element === undefined ? {} : { element }),
      },
    };
    this.issues.push(issue);
  }

  missing(tag: string, what: string): void {
    this.issues.push({
      code: "missing_segment",
      path: [],
      message: `${tag}: ${this.transaction.type} ${this.transaction.controlNumber} has no ${tag} segment (${what})`,
      segment: { tag, index: this.transaction.header.index },
    });
  }

  /** A decimal from an element, normalised; an issue when it is not a number. */
  decimal(
    segment: Segment,
    element: number,
    name: string,
    component?: number,
    optional = false,
  ): string | undefined {
    const value = segment.get(element, component).trim();
    if (value === "") {
      if (!optional) this.fail(segment, element, "missing_element", `${name} is required`);
      return undefined;
    }
    const decimalMark = segment.delimiters.decimal;
    try {
      return normalizeDecimal(decimalMark === "," ? value.replace(",", ".") : value);
    } catch {
      this.fail(segment, element, "invalid_number", `${name} ${JSON.stringify(value)} is not a number`);
      return undefined;
    }
  }

  /** An ISO date from `CCYYMMDD` or `YYMMDD`; an issue when it is not a date. */
  date(
    segment: Segment,
    element: number,
    name: string,
    component?: number,
    optional = false,
  ): string | undefined {
    const value = segment.get(element, component).trim();
    if (value === "") {
      if (!optional) this.fail(segment, element, "missing_element", `${name} is required`);
      return undefined;
    }
    const digits = /^\d{12,14}$/.test(value) ? value.slice(0, 8) : value;
    const full = /^\d{6}$/.test(digits) ? `20${digits}` : digits;
    if (/^\d{8}$/.test(full)) {
      const iso = `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}`;
      const parsed = new Date(`${iso}T00:00:00Z`);
      if (!Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(iso)) return iso;
    }
    this.fail(segment, element, "invalid_date", `${name} ${JSON.stringify(value)} is not a date (CCYYMMDD)`);
    return undefined;
  }

  /** Runs a canonical parser; its issues come back with the segment that fed each field. */
  canonical<T>(name: string, parse: (input: unknown) => T, input: unknown): T {
    if (this.issues.length > 0) this.throw(name);
    try {
      return parse(input);
    } catch (error) {
      if (!isDistroError(error) || !(error instanceof ValidationError)) throw error;
      for (const issue of error.issues) {
        const source = this.lookup(issue.path);
        this.issues.push(
          source
            ? {
                ...issue,
                message: `${source.tag}${source.element === undefined ? "" : String(source.element).padStart(2, "0")}: ${issue.message} (${issue.path.join(".")})`,
                segment: source,
              }
            : issue,
        );
      }
      this.throw(name, error);
    }
  }

  private lookup(path: (string | number)[]): Source | undefined {
    for (let length = path.length; length > 0; length--) {
      const found = this.sources.get(path.slice(0, length).join("."));
      if (found) return found;
    }
    return undefined;
  }

  throw(name: string, cause?: unknown): never {
    const first = this.issues[0];
    throw new ValidationError(
      `${this.transaction.type} ${this.transaction.controlNumber} cannot be mapped to ${name}: ${first?.message ?? "invalid"}${this.issues.length > 1 ? ` (and ${this.issues.length - 1} more)` : ""}`,
      this.issues,
      cause === undefined ? {} : { cause },
    );
  }
}

/** The loops of name segments (X12 N1…N4, EDIFACT NAD) keyed by their entity code. */
export function x12Parties(segments: readonly Segment[]): Map<string, Segment[]> {
  const parties = new Map<string, Segment[]>();
  let current: Segment[] | undefined;
  for (const segment of segments) {
    const tag = segment.tag;
    if (tag === "N1") {
      current = [segment];
      if (!parties.has(segment.get(1))) parties.set(segment.get(1), current);
    } else if (current && (tag === "N2" || tag === "N3" || tag === "N4" || tag === "PER" || tag === "REF")) {
      current.push(segment);
    } else {
      current = undefined;
    }
  }
  return parties;
}

/** An address from an X12 N1 loop; issues name N3/N4 when required parts are missing. */
export function x12Address(
  context: MappingContext,
  loop: readonly Segment[],
  path: string[],
  locations: Readonly<Record<string, Address>> | undefined,
  defaultCountry = "US",
): Address | undefined {
  const n1 = loop[0]!;
  const n3 = loop.find((segment) => segment.tag === "N3");
  const n4 = loop.find((segment) => segment.tag === "N4");
  const n2 = loop.find((segment) => segment.tag === "N2");
  if (!n3 || !n4) {
    const known = n1.get(4) ? locations?.[n1.get(4)] : undefined;
    if (known) {
      context.source(path, n1, 4);
      return {
        ...known,
        id: known.id ?? n1.get(4),
        ...(n1.get(2) && !known.name ? { name: n1.get(2) } : {}),
      };
    }
    context.fail(
      n1,
      n1.get(4) ? 4 : undefined,
      "incomplete_address",
      `${n1.get(1)} party ${JSON.stringify(n1.get(2) || n1.get(4))} has no ${!n3 ? "N3 street" : "N4 city"}${n1.get(4) ? ` and location ${JSON.stringify(n1.get(4))} is not in the partner profile's locations` : ""}`,
    );
    return undefined;
  }
  context.source([...path, "line1"], n3, 1);
  context.source([...path, "city"], n4, 1);
  context.source([...path, "country"], n4, 4);
  context.source([...path, "postalCode"], n4, 3);
  const country = n4.get(4) || defaultCountry;
  const address: Address = {
    line1: n3.get(1),
    city: n4.get(1),
    country: country.length === 3 ? (ISO3_TO_ISO2[country] ?? country) : country,
  };
  const name = n1.get(2) || n2?.get(1);
  if (name) address.name = name;
  if (n3.get(2)) address.line2 = n3.get(2);
  if (n4.get(2)) address.region = n4.get(2);
  if (n4.get(3)) address.postalCode = n4.get(3);
  if (n1.get(3) === "UL" && /^\d{13}$/.test(n1.get(4))) address.gln = n1.get(4);
  if (n1.get(4)) address.id = n1.get(4);
  return address;
}

const ISO3_TO_ISO2: Record<string, string> = {
  USA: "US",
  CAN: "CA",
  MEX: "MX",
  DEU: "DE",
  GBR: "GB",
  FRA: "FR",
  NLD: "NL",
  BEL: "BE",
};

/** The product id from X12 qualifier/id pairs starting at `first`, by preference. */
export function x12ProductId(
  segment: Segment,
  first: number,
  preference: readonly string[],
): { qualifier: string; id: string; element: number } | undefined {
  const found: { qualifier: string; id: string; element: number }[] = [];
  for (let element = first; element + 1 < segment.elements.length; element += 2) {
    const qualifier = segment.get(element);
    const id = segment.get(element + 1);
    if (qualifier && id) found.push({ qualifier, id, element: element + 1 });
  }
  for (const qualifier of preference) {
    const match = found.find((pair) => pair.qualifier === qualifier);
    if (match) return match;
  }
  return found[0];
}

/** Product qualifiers, the seller's own first: VP vendor part, VN vendor item, SK, BP buyer part, UP UPC, EN EAN, IN buyer item. */
export const PRODUCT_QUALIFIERS = ["VP", "VN", "SK", "MG", "BP", "IN", "UP", "UK", "EN", "CB", "VA"] as const;

/** Formats an ISO date as CCYYMMDD. */
export function ediDate(iso: string): string {
  return iso.slice(0, 10).replace(/-/g, "");
}
