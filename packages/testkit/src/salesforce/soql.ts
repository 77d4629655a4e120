import { ValidationError } from "@distro/core";

/** One comparison of a SOQL `WHERE` clause. */
export interface SoqlCondition {
  /** The field. */
  field: string;
  /** The operator. */
  operator: "=" | "!=" | ">" | ">=" | "<" | "<=";
  /** The literal: a string, number, boolean, null, or a date-time kept as text. */
  value: string | number | boolean | null;
}

/** A parsed SOQL query of the subset the simulator serves. */
export interface SoqlQuery {
  /** The selected fields. */
  fields: string[];
  /** The sObject type. */
  object: string;
  /** Groups joined by OR, each a list of conditions joined by AND. */
  where: SoqlCondition[][];
  /** Sort keys. */
  orderBy: { field: string; direction: "ASC" | "DESC" }[];
  /** The row limit. */
  limit: number | undefined;
}

/**
 * Parses the SOQL subset the Salesforce simulator serves: `SELECT f1, f2 FROM Object
 * [WHERE a = 'x' AND (b > 1 OR c = null)...] [ORDER BY f [ASC|DESC], ...] [LIMIT n]`.
 * `WHERE` takes comparisons joined by AND, and OR between parenthesised AND-groups.
 *
 * @param text - the query
 * @returns the parsed query
 * @throws ValidationError naming the problem (the simulator answers `MALFORMED_QUERY`)
 * @example
 * ```ts
 * parseSoql("SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01T00:00:00Z ORDER BY SystemModstamp LIMIT 10");
 * ```
 */
export function parseSoql(text: string): SoqlQuery {
  const match =
    /^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
      text,
    );
  if (!match) throw malformed("unexpected token: expecting SELECT ... FROM ...");
  const fields = match[1]!.split(",").map((field) => field.trim());
  for (const field of fields) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(field)) throw malformed(`unexpected token: '${field}'`);
  }
  const where = match[3] ? parseWhere(match[3]) : [];
  const orderBy = match[4]
    ? match[4].split(",").map((part) => {
        const [field, direction] = part.trim().split(/\s+/);
        if (!field || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
          throw malformed(`unexpected token in ORDER BY: '${part}'`);
        const upper = (direction ?? "ASC").toUpperCase();
        if (upper !== "ASC" && upper !== "DESC")
          throw malformed(`unexpected token in ORDER BY: '${direction}'`);
        return { field, direction: upper as "ASC" | "DESC" };
      })
    : [];
  return { fields, object: match[2]!, where, orderBy, limit: match[5] ? Number(match[5]) : undefined };
}

function parseWhere(text: string): SoqlCondition[][] {
  const groups = splitTopLevel(text, "OR");
  return groups.map((group) => {
    const trimmed = group.trim().replace(/^\((.*)\)$/s, "$1");
    return splitTopLevel(trimmed, "AND").map((part) =>
      parseCondition(part.trim().replace(/^\((.*)\)$/s, "$1")),
    );
  });
}

function splitTopLevel(text: string, keyword: "AND" | "OR"): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === "'" && text[index - 1] !== "\\") quoted = !quoted;
    if (quoted) continue;
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (
      depth === 0 &&
      new RegExp(`^\\s${keyword}\\s`, "i").test(text.slice(index, index + keyword.length + 2))
    ) {
      parts.push(text.slice(start, index));
      start = index + keyword.length + 2;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseCondition(text: string): SoqlCondition {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=|!=|>=|<=|>|<)\s*(.+)$/s.exec(text);
  if (!match) throw malformed(`unexpected token in WHERE: '${text}'`);
  const raw = match[3]!.trim();
  let value: SoqlCondition["value"];
  if (/^'.*'$/s.test(raw)) value = raw.slice(1, -1).replace(/\\'/g, "'");
  else if (/^null$/i.test(raw)) value = null;
  else if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === "true";
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  else if (/^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d))?$/.test(raw)) value = raw;
  else throw malformed(`unexpected token: '${raw}'`);
  return { field: match[1]!, operator: match[2] as SoqlCondition["operator"], value };
}

function malformed(message: string): ValidationError {
  return new ValidationError(`MALFORMED_QUERY: ${message}`, [
    { code: "MALFORMED_QUERY", path: ["q"], message },
  ]);
}
