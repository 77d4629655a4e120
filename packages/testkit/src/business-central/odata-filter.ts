import { compareDecimal, isDecimalString } from "@distro/core";

/** A parsed `$filter` expression, evaluated against one entity. */
export type ODataPredicate = (entity: Record<string, unknown>) => boolean;

/** Raised by {@link parseODataFilter} for a filter it cannot read; the simulator answers 400. */
export class ODataFilterSyntaxError extends Error {
  /**
   * @param message - what is wrong, with the position
   */
  constructor(message: string) {
    super(message);
    this.name = "ODataFilterSyntaxError";
  }
}

type Token =
  | { kind: "string"; value: string }
  | { kind: "number"; value: string }
  | { kind: "word"; value: string }
  | { kind: "open" }
  | { kind: "close" }
  | { kind: "comma" };

type Literal = string | boolean | null | { decimal: string };

const COMPARISONS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === " ") {
      index++;
    } else if (char === "(") {
      tokens.push({ kind: "open" });
      index++;
    } else if (char === ")") {
      tokens.push({ kind: "close" });
      index++;
    } else if (char === ",") {
      tokens.push({ kind: "comma" });
      index++;
    } else if (char === "'") {
      let value = "";
      index++;
      for (;;) {
        if (index >= text.length) throw new ODataFilterSyntaxError("Unterminated string literal in $filter");
        const next = text[index] as string;
        if (next === "'") {
          if (text[index + 1] === "'") {
            value += "'";
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += next;
        index++;
      }
      tokens.push({ kind: "string", value });
    } else {
      const match = /^[A-Za-z0-9_.:+\-/@]+/.exec(text.slice(index));
      if (!match)
        throw new ODataFilterSyntaxError(`Unexpected character '${char}' at position ${index} in $filter`);
      const word = match[0];
      tokens.push(
        /^-?\d+(\.\d+)?$/.test(word) ? { kind: "number", value: word } : { kind: "word", value: word },
      );
      index += word.length;
    }
  }
  return tokens;
}

function compareValues(left: unknown, right: Literal): number | undefined {
  if (right === null) return left === null || left === undefined ? 0 : undefined;
  if (typeof right === "boolean") return left === right ? 0 : undefined;
  if (typeof right === "object") {
    const value = typeof left === "number" ? String(left) : left;
    if (typeof value !== "string" || !isDecimalString(value)) return undefined;
    return compareDecimal(value, right.decimal);
  }
  if (typeof left !== "string") return undefined;
  if (DATE_TIME.test(right) && DATE_TIME.test(left)) {
    const difference = Date.parse(left) - Date.parse(right);
    return Math.sign(difference);
  }
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Parses the subset of OData v4 `$filter` that Business Central integrations use:
 * `eq ne gt ge lt le`, `and`, `or`, `not`, parentheses, string / number / boolean /
 * `null` / date-time literals, and `contains`, `startswith`, `endswith`.
 *
 * @param text - the `$filter` value, URL-decoded
 * @param fields - the entity's property names; any other name is an error
 * @returns a predicate over entities
 * @throws {@link ODataFilterSyntaxError} on a syntax error or an unknown property
 * @example
 * ```ts
 * const keep = parseODataFilter("number eq 'I-00001' and inventory gt 0", ["number", "inventory"]);
 * keep({ number: "I-00001", inventory: "4" }); // true
 * ```
 */
export function parseODataFilter(text: string, fields: readonly string[]): ODataPredicate {
  const tokens = tokenize(text);
  let position = 0;
  const known = new Set(fields);

  const peek = (): Token | undefined => tokens[position];
  const isWord = (token: Token | undefined, word: string): boolean =>
    token?.kind === "word" && token.value.toLowerCase() === word;

  const property = (): string => {
    const token = tokens[position++];
    if (token?.kind !== "word")
      throw new ODataFilterSyntaxError(`Expected a property name at token ${position}`);
    if (!known.has(token.value)) {
      throw new ODataFilterSyntaxError(`Could not find a property named '${token.value}'`);
    }
    return token.value;
  };

  const literal = (): Literal => {
    const token = tokens[position++];
    if (token === undefined) throw new ODataFilterSyntaxError("Expected a literal at the end of $filter");
    if (token.kind === "string") return token.value;
    if (token.kind === "number") return { decimal: token.value };
    if (token.kind === "word") {
      if (token.value === "true") return true;
      if (token.value === "false") return false;
      if (token.value === "null") return null;
      if (DATE_TIME.test(token.value)) return token.value;
      if (/^[0-9a-fA-F-]{36}$/.test(token.value)) return token.value.toLowerCase();
    }
    throw new ODataFilterSyntaxError(`Expected a literal at token ${position}`);
  };

  const expect = (kind: Token["kind"]): void => {
    const token = tokens[position++];
    if (token?.kind !== kind) throw new ODataFilterSyntaxError(`Expected '${kind}' at token ${position}`);
  };

  const primary = (): ODataPredicate => {
    const token = peek();
    if (token?.kind === "open") {
      position++;
      const inner = orExpression();
      expect("close");
      return inner;
    }
    if (isWord(token, "not")) {
      position++;
      const inner = primary();
      return (entity) => !inner(entity);
    }
    if (
      token?.kind === "word" &&
      ["contains", "startswith", "endswith"].includes(token.value.toLowerCase())
    ) {
      const name = token.value.toLowerCase();
      position++;
      expect("open");
      const field = property();
      expect("comma");
      const value = literal();
      expect("close");
      if (typeof value !== "string") throw new ODataFilterSyntaxError(`${name} needs a string literal`);
      return (entity) => {
        const actual = entity[field];
        if (typeof actual !== "string") return false;
        if (name === "contains") return actual.includes(value);
        if (name === "startswith") return actual.startsWith(value);
        return actual.endsWith(value);
      };
    }
    const field = property();
    const operator = tokens[position++];
    if (operator?.kind !== "word" || !COMPARISONS.has(operator.value)) {
      throw new ODataFilterSyntaxError(`Expected a comparison operator after '${field}'`);
    }
    const value = literal();
    const op = operator.value;
    return (entity) => {
      const order = compareValues(entity[field], value);
      if (op === "ne") return order !== 0;
      if (order === undefined) return false;
      if (op === "eq") return order === 0;
      if (op === "gt") return order > 0;
      if (op === "ge") return order >= 0;
      if (op === "lt") return order < 0;
      return order <= 0;
    };
  };

  const andExpression = (): ODataPredicate => {
    let left = primary();
    while (isWord(peek(), "and")) {
      position++;
      const first = left;
      const second = primary();
      left = (entity) => first(entity) && second(entity);
    }
    return left;
  };

  const orExpression = (): ODataPredicate => {
    let left = andExpression();
    while (isWord(peek(), "or")) {
      position++;
      const first = left;
      const second = andExpression();
      left = (entity) => first(entity) || second(entity);
    }
    return left;
  };

  const predicate = orExpression();
  if (position !== tokens.length)
    throw new ODataFilterSyntaxError(`Unexpected token at position ${position} in $filter`);
  return predicate;
}
