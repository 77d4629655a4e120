import type { EdiDocument, EdiIssue, Interchange, Segment, Transaction } from "../syntax/model";
import { splitEscaped, unescapeValue } from "../syntax/model";
import { DEFAULT_DICTIONARY, type EdiDictionary, type ElementRule, type SegmentRule } from "./dictionary";

/** Settings of {@link validateDocument}. */
export interface ValidateOptions {
  /** The rules to check against (default {@link DEFAULT_DICTIONARY}). */
  dictionary?: EdiDictionary;
  /** Segments a partner requires, by transaction type: `{ "850": ["BEG", "PO1", "N1"] }`. */
  requiredSegments?: Readonly<Record<string, readonly string[]>>;
}

const DATE_PATTERN = /^\d{6}(?:\d{2})?$/;
const TIME_PATTERN = /^([01]\d|2[0-3])[0-5]\d(?:[0-5]\d\d*)?$/;
const INTEGER_PATTERN = /^-?\d+$/;
const REAL_PATTERN = /^-?(?:\d+\.?\d*|\.\d+)$/;

function validDate(value: string): boolean {
  if (!DATE_PATTERN.test(value)) return false;
  const year = value.length === 8 ? Number(value.slice(0, 4)) : 2000 + Number(value.slice(0, 2));
  const offset = value.length === 8 ? 4 : 2;
  const month = Number(value.slice(offset, offset + 2));
  const day = Number(value.slice(offset + 2, offset + 4));
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

interface Context {
  issues: EdiIssue[];
  transaction: Transaction;
  path: (string | number)[];
  position: number;
}

function push(
  context: Context,
  segment: Segment,
  code: string,
  message: string,
  element?: number,
  component?: number,
  rule?: ElementRule,
  badValue?: string,
): void {
  const issue: EdiIssue = {
    severity: "error",
    code,
    path: [...context.path, "segments", context.position],
    message: `${segment.tag}${element === undefined ? "" : String(element).padStart(2, "0")}${component === undefined ? "" : `-${component}`}: ${message}`,
    segment: { tag: segment.tag, index: segment.index },
  };
  if (element !== undefined) issue.segment!.element = element;
  if (component !== undefined) issue.segment!.component = component;
  if (rule) issue.dataElement = rule.id;
  if (badValue !== undefined && badValue !== "") issue.badValue = badValue;
  context.issues.push(issue);
  context.transaction.issues.push(issue);
}

function valueLength(value: string, rule: ElementRule, decimal: string): number {
  if (rule.type === "R" || rule.type === "n" || rule.type.startsWith("N")) {
    let length = 0;
    for (const char of value) if (char !== "-" && char !== decimal && char !== ".") length++;
    return length;
  }
  return value.length;
}

function checkValue(
  context: Context,
  segment: Segment,
  value: string,
  rule: ElementRule,
  element: number,
  component: number | undefined,
  edifact: boolean,
): void {
  if (value === "") {
    if (rule.required)
      push(
        context,
        segment,
        "mandatory_element_missing",
        `${rule.name} (${rule.id}) is required`,
        element,
        component,
        rule,
      );
    return;
  }
  const decimal = segment.delimiters.decimal || ".";
  switch (rule.type) {
    case "N0":
    case "N1":
    case "N2":
    case "N":
      if (!INTEGER_PATTERN.test(value)) {
        push(
          context,
          segment,
          "invalid_character",
          `${rule.name} (${rule.id}) must be numeric, got ${JSON.stringify(value)}`,
          element,
          component,
          rule,
          value,
        );
        return;
      }
      break;
    case "R":
    case "n": {
      const normalized = edifact && decimal !== "." ? value.replace(decimal, ".") : value;
      if (!REAL_PATTERN.test(normalized)) {
        push(
          context,
          segment,
          "invalid_character",
          `${rule.name} (${rule.id}) must be a number, got ${JSON.stringify(value)}`,
          element,
          component,
          rule,
          value,
        );
        return;
      }
      break;
    }
    case "DT":
      if (!validDate(value)) {
        push(
          context,
          segment,
          "invalid_date",
          `${rule.name} (${rule.id}) is not a valid date: ${JSON.stringify(value)}`,
          element,
          component,
          rule,
          value,
        );
        return;
      }
      break;
    case "TM":
      if (!TIME_PATTERN.test(value)) {
        push(
          context,
          segment,
          "invalid_time",
          `${rule.name} (${rule.id}) is not a valid time: ${JSON.stringify(value)}`,
          element,
          component,
          rule,
          value,
        );
        return;
      }
      break;
    case "a":
      if (/[0-9]/.test(value)) {
        push(
          context,
          segment,
          "invalid_character",
          `${rule.name} (${rule.id}) must be alphabetic, got ${JSON.stringify(value)}`,
          element,
          component,
          rule,
          value,
        );
        return;
      }
      break;
    default:
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      if (/[\u0000-\u001f\u007f]/.test(value)) {
        push(
          context,
          segment,
          "invalid_character",
          `${rule.name} (${rule.id}) holds a control character`,
          element,
          component,
          rule,
          value,
        );
        return;
      }
  }
  const length = valueLength(value, rule, decimal);
  if (length > rule.max) {
    push(
      context,
      segment,
      "element_too_long",
      `${rule.name} (${rule.id}) is ${length} characters, at most ${rule.max} allowed: ${JSON.stringify(value)}`,
      element,
      component,
      rule,
      value,
    );
    return;
  }
  if (length < rule.min) {
    push(
      context,
      segment,
      "element_too_short",
      `${rule.name} (${rule.id}) is ${length} characters, at least ${rule.min} required: ${JSON.stringify(value)}`,
      element,
      component,
      rule,
      value,
    );
    return;
  }
  if (rule.codes && !rule.codes.includes(value)) {
    push(
      context,
      segment,
      "invalid_code",
      `${JSON.stringify(value)} is not a valid ${rule.name} (${rule.id})`,
      element,
      component,
      rule,
      value,
    );
  }
}

function checkReleases(context: Context, segment: Segment, interchange: Interchange): void {
  const { release, segment: terminator, element, component, repetition } = interchange.delimiters;
  if (!release) return;
  const specials = [release, terminator, element, component, repetition].filter((char) => char !== "");
  for (let index = 1; index < segment.elements.length; index++) {
    const raw = segment.elements[index]!;
    const at = raw.indexOf(release);
    if (at === -1) continue;
    for (let cursor = at; cursor < raw.length; cursor++) {
      if (raw[cursor] !== release) continue;
      const next = raw[cursor + 1];
      if (next === undefined || !specials.includes(next)) {
        push(
          context,
          segment,
          "invalid_release_sequence",
          `release character ${JSON.stringify(release)} before ${next === undefined ? "the end of the element" : JSON.stringify(next)}, which is not a delimiter`,
          index,
        );
        return;
      }
      cursor++;
    }
  }
}

function checkSegment(context: Context, segment: Segment, rule: SegmentRule, interchange: Interchange): void {
  const edifact = interchange.standard === "edifact";
  const { component: componentSeparator, repetition, release } = interchange.delimiters;
  const size = segment.elements.length - 1;
  if (size > rule.elements.length) {
    push(
      context,
      segment,
      "too_many_elements",
      `${size} elements, at most ${rule.elements.length} defined`,
      rule.elements.length + 1,
    );
  }
  rule.elements.forEach((elementRule, position) => {
    const element = position + 1;
    const raw = segment.elements[element] ?? "";
    const repetitions = repetition && raw !== "" ? splitEscaped(raw, repetition, release) : [raw];
    for (const occurrence of repetitions) {
      const parts =
        componentSeparator && occurrence !== ""
          ? splitEscaped(occurrence, componentSeparator, release)
          : [occurrence];
      if (elementRule.components) {
        if (parts.length > elementRule.components.length) {
          push(
            context,
            segment,
            "too_many_components",
            `${elementRule.name} (${elementRule.id}) has ${parts.length} components, at most ${elementRule.components.length} defined`,
            element,
            undefined,
            elementRule,
            occurrence,
          );
          continue;
        }
        if (occurrence === "") {
          if (elementRule.required)
            push(
              context,
              segment,
              "mandatory_element_missing",
              `${elementRule.name} (${elementRule.id}) is required`,
              element,
            );
          continue;
        }
        elementRule.components.forEach((componentRule, index) => {
          checkValue(
            context,
            segment,
            unescapeValue(parts[index] ?? "", release),
            componentRule,
            element,
            index + 1,
            edifact,
          );
        });
      } else {
        if (parts.length > 1) {
          push(
            context,
            segment,
            "too_many_components",
            `${elementRule.name} (${elementRule.id}) is a simple element but has ${parts.length} components`,
            element,
            undefined,
            elementRule,
            occurrence,
          );
          continue;
        }
        checkValue(
          context,
          segment,
          unescapeValue(occurrence, release),
          elementRule,
          element,
          undefined,
          edifact,
        );
      }
    }
  });
  const present = (element: number) => (segment.elements[element] ?? "") !== "";
  for (const note of rule.notes ?? []) {
    const [first, ...rest] = note.elements as [number, ...number[]];
    const name = `${note.kind}${note.elements.map((n) => String(n).padStart(2, "0")).join("")}`;
    const count = note.elements.filter(present).length;
    const missing = (elements: readonly number[]) => elements.find((n) => !present(n));
    const reportNote = (code: string, message: string, element: number | undefined) =>
      push(
        context,
        segment,
        code,
        message,
        element,
        undefined,
        element === undefined ? undefined : rule.elements[element - 1],
      );
    switch (note.kind) {
      case "P":
        if (count > 0 && count < note.elements.length) {
          reportNote(
            "conditional_element_missing",
            `syntax note ${name}: if any of elements ${note.elements.join(", ")} is present, all are required`,
            missing(note.elements),
          );
        }
        break;
      case "R":
        if (count === 0)
          reportNote(
            "conditional_element_missing",
            `syntax note ${name}: at least one of elements ${note.elements.join(", ")} is required`,
            first,
          );
        break;
      case "C":
        if (present(first) && rest.some((n) => !present(n))) {
          reportNote(
            "conditional_element_missing",
            `syntax note ${name}: element ${first} is present, so element ${rest.join(", ")} is required`,
            missing(rest),
          );
        }
        break;
      case "L":
        if (present(first) && !rest.some(present)) {
          reportNote(
            "conditional_element_missing",
            `syntax note ${name}: element ${first} is present, so one of ${rest.join(", ")} is required`,
            rest[0],
          );
        }
        break;
      case "E":
        if (count > 1)
          reportNote(
            "exclusion_violated",
            `syntax note ${name}: only one of elements ${note.elements.join(", ")} may be present`,
            note.elements.filter(present)[1],
          );
        break;
    }
  }
}

/**
 * Checks every transaction of a document against a dictionary: element types, lengths,
 * codes, composites, X12 syntax notes (paired, required, conditional, exclusion),
 * EDIFACT release sequences, required segments and maximum uses. Each issue names the
 * segment and element, and is added to its transaction's `issues`.
 *
 * @param document - a parsed document
 * @param options - the dictionary and the partner's required segments
 * @returns the issues found (also added to each transaction)
 * @example
 * ```ts
 * const document = parseEdi(bytes, { validate: (parsed) => validateDocument(parsed) });
 * document.issues.filter((issue) => issue.code === "invalid_code");
 * ```
 */
export function validateDocument(document: EdiDocument, options: ValidateOptions = {}): EdiIssue[] {
  const dictionary = options.dictionary ?? DEFAULT_DICTIONARY;
  const issues: EdiIssue[] = [];
  document.interchanges.forEach((interchange, interchangeIndex) => {
    const segmentRules = interchange.standard === "x12" ? dictionary.x12 : dictionary.edifact;
    interchange.groups.forEach((group, groupIndex) => {
      group.transactions.forEach((transaction, transactionIndex) => {
        const context: Context = {
          issues,
          transaction,
          path: ["interchanges", interchangeIndex, "groups", groupIndex, "transactions", transactionIndex],
          position: 1,
        };
        const all = [
          transaction.header,
          ...transaction.segments,
          ...(transaction.trailer ? [transaction.trailer] : []),
        ];
        const counts = new Map<string, number>();
        all.forEach((segment, position) => {
          context.position = position + 1;
          counts.set(segment.tag, (counts.get(segment.tag) ?? 0) + 1);
          if (interchange.standard === "edifact") checkReleases(context, segment, interchange);
          const rule = segmentRules[segment.tag];
          if (rule) checkSegment(context, segment, rule, interchange);
          const limit = dictionary.transactions[transaction.type]?.maxUse?.[segment.tag];
          if (limit !== undefined && counts.get(segment.tag) === limit + 1) {
            push(
              context,
              segment,
              "segment_repeated",
              `${segment.tag} appears more than ${limit} time${limit === 1 ? "" : "s"} in ${transaction.type}`,
            );
          }
        });
        const required = [
          ...(dictionary.transactions[transaction.type]?.required ?? []),
          ...(options.requiredSegments?.[transaction.type] ?? []),
        ];
        for (const tag of new Set(required)) {
          if (!counts.has(tag)) {
            context.position = 1;
            push(
              context,
              transaction.header,
              "mandatory_segment_missing",
              `${transaction.type} ${transaction.controlNumber} has no ${tag} segment, which is required`,
            );
            const last = issues[issues.length - 1]!;
            last.segment = { tag, index: transaction.header.index };
            last.message = `${tag}: ${transaction.type} ${transaction.controlNumber} has no ${tag} segment, which is required`;
          }
        }
      });
    });
  });
  return issues;
}
