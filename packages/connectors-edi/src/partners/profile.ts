import { type Address, ValidationError, type ValidationIssue } from "@distro/core";
import type { EdifactEnvelopeSettings, PartyId, X12EnvelopeSettings } from "../generate/build";
import type { ControlNumberStore } from "../generate/control-numbers";
import type { Delimiters, EdiStandard, Interchange } from "../syntax/model";

/**
 * What distro knows about one trading partner: identifiers and qualifiers, the
 * standard and version it speaks, its delimiters, the segments it requires, and how its
 * unit-of-measure codes map to the business's own.
 */
export interface PartnerProfile {
  /** The partner's key in distro (lower-case, used in `refs` and for control numbers): `acme`. */
  id: string;
  /** X12 or EDIFACT. */
  standard: EdiStandard;
  /** The partner's interchange id and qualifier (ISA05/06, UNB S002). */
  partnerId: PartyId;
  /** Our interchange id and qualifier at this partner (ISA07/08, UNB S003). */
  ourId: PartyId;
  /** The document version: `004010`, `005010` (GS08) or the EDIFACT directory `D96A`, `D01B`. */
  version: string;
  /** EDIFACT association code (`EAN008`), when the partner uses one. */
  associationCode?: string;
  /** Delimiters to write with. */
  delimiters?: Partial<Delimiters>;
  /** Segments the partner requires in each transaction type: `{ "850": ["BEG", "PO1", "N1"] }`. */
  requiredSegments?: Readonly<Record<string, readonly string[]>>;
  /** Partner unit-of-measure code → canonical code: `{ CA: "CS", EA: "EA", PCE: "EA" }`. */
  unitsOfMeasure?: Readonly<Record<string, string>>;
  /**
   * Addresses of the partner's location codes (N1*ST*…*92*DC01, NAD+DP+…::92), for
   * documents that name a ship-to or bill-to by code only.
   */
  locations?: Readonly<Record<string, Address>>;
  /** The currency to assume when a document names none (default `USD` for X12, `EUR` for EDIFACT). */
  currency?: string;
  /** The canonical customer id of this partner, for inbound orders and invoices. */
  customerId?: string;
  /** `P` production or `T` test. */
  usage?: "P" | "T";
}

const KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const X12_VERSIONS = /^00[2-8]0[0-9]0/;
const EDIFACT_VERSIONS = /^D\d{2}[A-C]$/;

/**
 * Checks and completes a partner profile.
 *
 * @param profile - the profile as configured
 * @returns the same profile, frozen
 * @throws ValidationError naming each field that is wrong
 * @example
 * ```ts
 * const acme = definePartnerProfile({
 *   id: "acme",
 *   standard: "x12",
 *   partnerId: { qualifier: "ZZ", id: "ACMEBUYER" },
 *   ourId: { qualifier: "ZZ", id: "DISTRO" },
 *   version: "004010",
 *   unitsOfMeasure: { CA: "CS" },
 * });
 * ```
 */
export function definePartnerProfile(profile: PartnerProfile): Readonly<PartnerProfile> {
  const issues: ValidationIssue[] = [];
  const fail = (path: string[], message: string) =>
    issues.push({ code: "invalid_partner_profile", path, message });
  if (typeof profile !== "object" || profile === null) {
    throw new ValidationError("Partner profile must be an object", [
      { code: "invalid_type", path: [], message: "Expected an object" },
    ]);
  }
  if (!KEY_PATTERN.test(profile.id ?? "")) fail(["id"], "Expected a lower-case key such as acme");
  if (profile.standard !== "x12" && profile.standard !== "edifact")
    fail(["standard"], "Expected x12 or edifact");
  for (const field of ["partnerId", "ourId"] as const) {
    const party = profile[field];
    if (
      !party ||
      typeof party.id !== "string" ||
      party.id.trim() === "" ||
      typeof party.qualifier !== "string"
    ) {
      fail([field], "Expected { qualifier, id }");
    } else if (profile.standard === "x12" && (party.id.length > 15 || party.qualifier.length !== 2)) {
      fail([field], "X12 ids are at most 15 characters with a 2-character qualifier");
    }
  }
  if (profile.standard === "x12" && !X12_VERSIONS.test(profile.version ?? ""))
    fail(["version"], "Expected an X12 version such as 004010 or 005010");
  if (profile.standard === "edifact" && !EDIFACT_VERSIONS.test(profile.version ?? ""))
    fail(["version"], "Expected an EDIFACT directory such as D96A or D01B");
  for (const [code, canonical] of Object.entries(profile.unitsOfMeasure ?? {})) {
    if (!/^[A-Z0-9]{1,10}$/.test(canonical))
      fail(
        ["unitsOfMeasure", code],
        `Canonical unit ${JSON.stringify(canonical)} must be upper-case letters or digits`,
      );
  }
  if (profile.currency !== undefined && !/^[A-Z]{3}$/.test(profile.currency))
    fail(["currency"], "Expected an ISO 4217 code");
  if (issues.length > 0)
    throw new ValidationError(`Partner profile ${JSON.stringify(profile.id)} is invalid`, issues);
  return Object.freeze({ ...profile });
}

/**
 * Maps a partner's unit-of-measure code to the canonical one (inbound), or back (outbound).
 * Codes without a mapping pass through unchanged.
 *
 * @param profile - the partner (or undefined for no mapping)
 * @param code - the code to map
 * @param direction - `inbound` (partner → canonical) or `outbound` (canonical → partner)
 * @returns the mapped code
 * @example
 * ```ts
 * mapUnitOfMeasure(acme, "CA", "inbound"); // "CS"
 * mapUnitOfMeasure(acme, "CS", "outbound"); // "CA"
 * ```
 */
export function mapUnitOfMeasure(
  profile: PartnerProfile | undefined,
  code: string,
  direction: "inbound" | "outbound",
): string {
  const table = profile?.unitsOfMeasure;
  if (!table) return code;
  if (direction === "inbound") return table[code] ?? code;
  for (const [partnerCode, canonical] of Object.entries(table)) if (canonical === code) return partnerCode;
  return code;
}

/**
 * Whether an inbound interchange comes from this partner (sender id and qualifier match).
 *
 * @param profile - the partner
 * @param interchange - an inbound interchange
 * @returns true when the sender matches
 * @example
 * ```ts
 * const partner = partners.find((profile) => isFromPartner(profile, document.interchanges[0]!));
 * ```
 */
export function isFromPartner(profile: PartnerProfile, interchange: Interchange): boolean {
  return (
    interchange.standard === profile.standard &&
    interchange.sender === profile.partnerId.id &&
    (interchange.senderQualifier === "" || interchange.senderQualifier === profile.partnerId.qualifier)
  );
}

/**
 * The envelope settings for writing to this partner (ours as sender, theirs as receiver,
 * its delimiters, version and usage), ready for {@link buildX12Interchange} or
 * {@link buildEdifactInterchange}.
 *
 * @param profile - the partner
 * @param extra - control numbers and clock
 * @returns envelope settings
 * @example
 * ```ts
 * const document = await buildX12Interchange(envelopeFor(acme, { controlNumbers }), groups);
 * ```
 */
export function envelopeFor(
  profile: PartnerProfile,
  extra: { controlNumbers?: ControlNumberStore; clock?: () => Date } = {},
): X12EnvelopeSettings & EdifactEnvelopeSettings {
  return {
    sender: profile.ourId,
    receiver: profile.partnerId,
    partnerKey: profile.id,
    ...(profile.delimiters ? { delimiters: profile.delimiters } : {}),
    ...(profile.usage ? { usage: profile.usage } : {}),
    ...(profile.standard === "x12" ? { version: profile.version.slice(0, 5) } : {}),
    ...extra,
  };
}
