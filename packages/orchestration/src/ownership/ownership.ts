import { canonicalJson, DistroError } from "@distro/core";

/** Which system owns each field of one entity. */
export interface EntityOwnership {
  /** Owner by field: a top-level key (`tier`) or an `ext` key (`ext.pim.description`). */
  fields: Record<string, string>;
  /** The owner of fields not listed; when absent, unlisted fields are writable by anyone. */
  default?: string;
}

/** Field ownership per entity (`customer`, `item`, `price`...). */
export type OwnershipRules = Record<string, EntityOwnership>;

/**
 * The ownership of the reference scenario: the CRM owns the customer's segmentation,
 * contacts and owner; the ERP owns the rest of the customer, items and prices; a PIM
 * owns item content.
 *
 * @example
 * ```ts
 * const { merged, refused } = mergeOwned("customer", current, fromErp, "erp", DEFAULT_OWNERSHIP);
 * ```
 */
export const DEFAULT_OWNERSHIP: OwnershipRules = {
  customer: {
    fields: {
      tier: "crm",
      segment: "crm",
      contacts: "crm",
      "ext.crm.salesRep": "crm",
      "ext.crm.industry": "crm",
    },
    default: "erp",
  },
  item: {
    fields: {
      description: "pim",
      longDescription: "pim",
      images: "pim",
      "ext.pim.description": "pim",
      "ext.pim.images": "pim",
    },
    default: "erp",
  },
  price: { fields: {}, default: "erp" },
  inventory: { fields: {}, default: "erp" },
};

/** A field a writer tried to change but does not own. */
export interface OwnershipViolation {
  /** The entity kind. */
  entity: string;
  /** The field (`tier`, `ext.pim.description`). */
  field: string;
  /** Who owns it. */
  owner: string;
  /** Who tried to write it. */
  writer: string;
}

/**
 * A write tried to overwrite fields another system owns. Carries every refused field.
 *
 * @example
 * ```ts
 * assertOwned("customer", current, incoming, "erp"); // throws OwnershipError for tier
 * ```
 */
export class OwnershipError extends DistroError {
  /** The refused fields. */
  readonly violations: OwnershipViolation[];

  /**
   * @param violations - the refused fields
   */
  constructor(violations: OwnershipViolation[]) {
    super(
      "OWNERSHIP_VIOLATION",
      violations
        .map(
          (violation) =>
            `${violation.writer} may not write ${violation.entity}.${violation.field} (owned by ${violation.owner})`,
        )
        .join("; "),
      { retryable: false, details: { violations } },
    );
    this.violations = violations;
  }
}

/** A record whose fields ownership rules apply to: top-level fields and namespaced `ext` keys. */
export type OwnedRecord = Record<string, unknown> & { ext?: Record<string, unknown> };

function ownerOf(rules: EntityOwnership | undefined, field: string): string | undefined {
  if (!rules) return undefined;
  return rules.fields[field] ?? rules.default;
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/**
 * Merges a write into the current record field by field: a field the writer owns (or
 * nobody owns) takes the incoming value; a field another system owns keeps its current
 * value and is reported. Fields the write leaves out stay as they are.
 *
 * @param entity - the entity kind, a key of `rules`
 * @param current - the record as it stands (undefined for a new one: every field is accepted from its owner only)
 * @param incoming - the write
 * @param writer - the writing system (`erp`, `crm`, `pim`)
 * @param rules - the ownership rules
 * @returns the merged record and the refused fields
 * @example
 * ```ts
 * const { merged, refused } = mergeOwned("customer", { id: "C1", name: "Acme", tier: "gold" }, { id: "C1", name: "ACME Inc", tier: "silver" }, "erp");
 * merged.tier; // "gold": the CRM owns it
 * refused[0]?.field; // "tier"
 * ```
 */
export function mergeOwned<T extends OwnedRecord>(
  entity: string,
  current: T | undefined,
  incoming: Partial<T>,
  writer: string,
  rules: OwnershipRules = DEFAULT_OWNERSHIP,
): { merged: T; refused: OwnershipViolation[] } {
  const entityRules = rules[entity];
  const merged: OwnedRecord = { ...(current ?? {}) };
  const refused: OwnershipViolation[] = [];
  for (const [field, value] of Object.entries(incoming)) {
    if (field === "ext" && value && typeof value === "object") {
      const ext: Record<string, unknown> = { ...(current?.ext ?? {}) };
      for (const [key, extValue] of Object.entries(value as Record<string, unknown>)) {
        const owner = ownerOf(entityRules, `ext.${key}`);
        if (owner !== undefined && owner !== writer && !same(ext[key], extValue)) {
          if (current !== undefined || extValue !== undefined)
            refused.push({ entity, field: `ext.${key}`, owner, writer });
          continue;
        }
        ext[key] = extValue;
      }
      merged.ext = ext;
      continue;
    }
    const owner = ownerOf(entityRules, field);
    if (owner !== undefined && owner !== writer && !same(current?.[field], value)) {
      refused.push({ entity, field, owner, writer });
      continue;
    }
    merged[field] = value;
  }
  return { merged: merged as T, refused };
}

/**
 * Like {@link mergeOwned}, but refuses the whole write when it would overwrite a field
 * another system owns.
 *
 * @param entity - the entity kind
 * @param current - the record as it stands
 * @param incoming - the write
 * @param writer - the writing system
 * @param rules - the ownership rules
 * @returns the merged record
 * @throws {@link OwnershipError} listing every refused field
 * @example
 * ```ts
 * const customer = assertOwned("customer", current, { tier: "platinum" }, "crm");
 * ```
 */
export function assertOwned<T extends OwnedRecord>(
  entity: string,
  current: T | undefined,
  incoming: Partial<T>,
  writer: string,
  rules: OwnershipRules = DEFAULT_OWNERSHIP,
): T {
  const { merged, refused } = mergeOwned(entity, current, incoming, writer, rules);
  if (refused.length > 0) throw new OwnershipError(refused);
  return merged;
}
