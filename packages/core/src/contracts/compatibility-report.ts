import { ValidationError, type ValidationIssue } from "../errors/validation-error";
import { type CompatibilityMode, findIncompatibilities, type SchemaIncompatibility } from "./compatibility";
import type { ContractDeprecation, ContractLifecycleStatus } from "./lifecycle";
import type { ContractRegistry } from "./registry";

/**
 * One contract version a system writes.
 *
 * @example
 * ```ts
 * const produced: ProducedContract = { type: "order.submitted", version: 2 };
 * ```
 */
export interface ProducedContract {
  /** The contract type. */
  type: string;
  /** The version it writes. */
  version: number;
}

/**
 * The contract versions a system can read.
 *
 * @example
 * ```ts
 * const consumed: ConsumedContract = { type: "order.submitted", versions: [1, 2] };
 * ```
 */
export interface ConsumedContract {
  /** The contract type. */
  type: string;
  /** The versions its code reads. */
  versions: readonly number[];
}

/**
 * What one system declares it produces and consumes.
 *
 * @example
 * ```ts
 * const erp: SystemContracts = { system: "erp-booking", consumes: [{ type: "order.submitted", versions: [2] }] };
 * ```
 */
export interface SystemContracts {
  /** The system or component, e.g. `shopify-channel`, `erp-booking`. */
  system: string;
  /** What it writes. */
  produces?: readonly ProducedContract[];
  /** What it reads. */
  consumes?: readonly ConsumedContract[];
}

/**
 * How a consumer reads a producer's version:
 * - `same-version`: it reads that very version;
 * - `reader-schema`: one of its versions reads the payload as is (the producer's version
 *   is backward or forward compatible with it, by the registry's schema rules);
 * - `upcast`: the payload is older, and the registry's upcasters bring it to a version
 *   the consumer reads.
 *
 * @example
 * ```ts
 * const how: CompatibilityPath | undefined = report.pairs[0]?.path; // "upcast"
 * ```
 */
export type CompatibilityPath = "same-version" | "reader-schema" | "upcast";

/**
 * The verdict on one producer → consumer pair:
 * - `ok`: compatible, every version involved active;
 * - `deprecated`: compatible, but a version involved is deprecated (it will be refused);
 * - `incompatible`: no version the consumer reads can read what the producer writes;
 * - `refused`: a version involved is past its sunset, so the registry refuses it;
 * - `unknown`: a version involved is not registered.
 *
 * @example
 * ```ts
 * const blocked = report.pairs.filter((pair) => pair.status === "incompatible" || pair.status === "refused");
 * ```
 */
export type PairStatus = "ok" | "deprecated" | "incompatible" | "refused" | "unknown";

/**
 * One producer → consumer pair of one contract type.
 *
 * @example
 * ```ts
 * for (const pair of report.pairs) console.log(`${pair.producer} → ${pair.consumer}: ${pair.status}`);
 * ```
 */
export interface ContractPairReport {
  /** The contract type. */
  type: string;
  /** The producing system. */
  producer: string;
  /** The version it writes. */
  producedVersion: number;
  /** The consuming system. */
  consumer: string;
  /** The versions it reads. */
  consumerVersions: number[];
  /** Whether the consumer can read what the producer writes (schemas and upcasters only). */
  compatible: boolean;
  /** The consumer's version that reads it, when compatible. */
  readsAs?: number;
  /** How, when compatible. */
  path?: CompatibilityPath;
  /** The verdict, lifecycle included. */
  status: PairStatus;
  /** Why not, when incompatible: the problems against the consumer's nearest version. */
  issues: SchemaIncompatibility[];
}

/**
 * Why a system keeps an old version from being removed.
 *
 * @example
 * ```ts
 * const blockers: RemovalBlocker[] = report.versions.find((entry) => entry.version === 1)?.removalBlockedBy ?? [];
 * ```
 */
export interface RemovalBlocker {
  /** The system. */
  system: string;
  /** As producer or consumer. */
  role: "producer" | "consumer";
  /** A sentence for people. */
  reason: string;
}

/**
 * One registered version of a contract type the declarations mention.
 *
 * @example
 * ```ts
 * const removable = report.versions.filter((entry) => !entry.latest && entry.removalBlockedBy.length === 0);
 * ```
 */
export interface ContractVersionReport {
  /** The contract type. */
  type: string;
  /** The version. */
  version: number;
  /** Whether it is the type's latest version. */
  latest: boolean;
  /** The compatibility mode the registry checks new versions of the type in. */
  compatibility: CompatibilityMode;
  /** Its lifecycle at the report's moment. */
  status: ContractLifecycleStatus;
  /** Its deprecation, when it has one. */
  deprecation?: ContractDeprecation;
  /** Systems that write it. */
  producers: string[];
  /** Systems that read it. */
  consumers: string[];
  /** What would break if this version were removed; empty when it can go. */
  removalBlockedBy: RemovalBlocker[];
}

/**
 * A declaration that names a contract version the registry does not know.
 *
 * @example
 * ```ts
 * for (const entry of report.unknown) console.warn(`${entry.system} uses unregistered ${entry.type} v${entry.version}`);
 * ```
 */
export interface UnknownContractUse {
  /** The system. */
  system: string;
  /** As producer or consumer. */
  role: "producer" | "consumer";
  /** The contract type. */
  type: string;
  /** The version. */
  version: number;
}

/**
 * The outcome of {@link compatibilityReport}.
 *
 * @example
 * ```ts
 * const report: CompatibilityReport = compatibilityReport(registry, systems);
 * if (report.summary.incompatible > 0) process.exitCode = 1;
 * ```
 */
export interface CompatibilityReport {
  /** The moment lifecycles were judged at (ISO 8601), when one was given. */
  at?: string;
  /** Every producer → consumer pair, by type, producer, consumer. */
  pairs: ContractPairReport[];
  /** Every registered version of the types the declarations mention, by type and version. */
  versions: ContractVersionReport[];
  /** Declarations of versions the registry does not know. */
  unknown: UnknownContractUse[];
  /** Counts, for a summary line or a CI gate. */
  summary: {
    pairs: number;
    ok: number;
    deprecated: number;
    incompatible: number;
    refused: number;
    unknown: number;
  };
}

/**
 * Options of {@link compatibilityReport}.
 *
 * @example
 * ```ts
 * compatibilityReport(registry, systems, { at: new Date("2027-04-01T00:00:00Z") }); // what breaks after the sunset
 * ```
 */
export interface CompatibilityReportOptions {
  /** Judge lifecycles at this moment (the registry's clock by default). */
  at?: Date | number;
}

interface Reading {
  compatible: boolean;
  readsAs?: number;
  path?: CompatibilityPath;
  issues: SchemaIncompatibility[];
}

/**
 * Reports, for systems that declare which contract versions they produce and consume,
 * whether each producer → consumer pair of a type is compatible, by the registry's
 * schema rules (the reader/writer rules behind its compatibility modes) and its
 * upcasters; which versions in use are deprecated or past their sunset; and, for every
 * version of the types involved, which systems keep it from being removed.
 *
 * A consumer reads a producer's version `p` when one of its versions `c` is `p`, or
 * `c`'s schema reads `p`'s payloads as they are, or `p < c` and each step from `p` to
 * `c` has an upcaster or is backward compatible.
 *
 * @param registry - the contract registry
 * @param systems - what each system produces and consumes
 * @param options - the moment to judge lifecycles at
 * @returns the report; render it with {@link renderCompatibilityReport}
 * @throws ValidationError when a declaration is malformed (naming its index and field)
 * @example
 * ```ts
 * const report = compatibilityReport(registry, [
 *   { system: "shopify-channel", produces: [{ type: "order.submitted", version: 2 }] },
 *   { system: "erp-booking", consumes: [{ type: "order.submitted", versions: [1] }] },
 * ]);
 * report.pairs[0]?.status; // "ok", "deprecated", "incompatible", "refused" or "unknown"
 * ```
 */
export function compatibilityReport(
  registry: ContractRegistry,
  systems: readonly SystemContracts[],
  options: CompatibilityReportOptions = {},
): CompatibilityReport {
  checkDeclarations(systems);
  const at =
    options.at === undefined ? undefined : typeof options.at === "number" ? options.at : options.at.getTime();
  const known = (type: string, version: number) => registry.versionsOf(type).includes(version);
  const statusOf = (type: string, version: number) => registry.lifecycleOf(type, version, at);

  const producers = systems.flatMap((system) =>
    (system.produces ?? []).map((produced) => ({ system: system.system, ...produced })),
  );
  const consumers = systems.flatMap((system) =>
    (system.consumes ?? []).map((consumed) => ({
      system: system.system,
      type: consumed.type,
      versions: [...new Set(consumed.versions)].sort((a, b) => a - b),
    })),
  );

  const unknown: UnknownContractUse[] = [
    ...producers
      .filter((producer) => !known(producer.type, producer.version))
      .map((producer) => ({
        system: producer.system,
        role: "producer" as const,
        type: producer.type,
        version: producer.version,
      })),
    ...consumers.flatMap((consumer) =>
      consumer.versions
        .filter((version) => !known(consumer.type, version))
        .map((version) => ({
          system: consumer.system,
          role: "consumer" as const,
          type: consumer.type,
          version,
        })),
    ),
  ];

  const pairs: ContractPairReport[] = [];
  for (const producer of producers) {
    for (const consumer of consumers.filter((candidate) => candidate.type === producer.type)) {
      const base = {
        type: producer.type,
        producer: producer.system,
        producedVersion: producer.version,
        consumer: consumer.system,
        consumerVersions: consumer.versions,
      };
      const readable = consumer.versions.filter((version) => known(producer.type, version));
      if (!known(producer.type, producer.version) || readable.length === 0) {
        pairs.push({ ...base, compatible: false, status: "unknown", issues: [] });
        continue;
      }
      const reading = read(registry, producer.type, producer.version, readable);
      let status: PairStatus = reading.compatible ? "ok" : "incompatible";
      const involved =
        reading.readsAs === undefined ? [producer.version] : [producer.version, reading.readsAs];
      const lifecycles = involved.map((version) => statusOf(producer.type, version).status);
      if (lifecycles.includes("sunset")) status = "refused";
      else if (reading.compatible && lifecycles.includes("deprecated")) status = "deprecated";
      pairs.push({ ...base, ...reading, status });
    }
  }
  pairs.sort(
    (a, b) =>
      a.type.localeCompare(b.type) ||
      a.producer.localeCompare(b.producer) ||
      a.consumer.localeCompare(b.consumer) ||
      a.producedVersion - b.producedVersion,
  );

  const types = [
    ...new Set([...producers.map((entry) => entry.type), ...consumers.map((entry) => entry.type)]),
  ]
    .filter((type) => registry.versionsOf(type).length > 0)
    .sort();
  const versions: ContractVersionReport[] = types.flatMap((type) => {
    const all = registry.versionsOf(type);
    const typeProducers = producers.filter((producer) => producer.type === type);
    const typeConsumers = consumers.filter((consumer) => consumer.type === type);
    return all.map((version) => {
      const lifecycle = statusOf(type, version);
      const blockers: RemovalBlocker[] = [];
      for (const producer of typeProducers.filter((entry) => entry.version === version)) {
        blockers.push({ system: producer.system, role: "producer", reason: `writes v${version}` });
      }
      for (const consumer of typeConsumers.filter((entry) => entry.versions.includes(version))) {
        const rest = consumer.versions.filter((other) => other !== version && all.includes(other));
        if (rest.length === 0) {
          blockers.push({ system: consumer.system, role: "consumer", reason: `reads only v${version}` });
          continue;
        }
        const broken = typeProducers
          .filter((producer) => producer.version !== version && all.includes(producer.version))
          .filter(
            (producer) =>
              read(
                registry,
                type,
                producer.version,
                consumer.versions.filter((v) => all.includes(v)),
              ).compatible && !read(registry, type, producer.version, rest).compatible,
          );
        if (broken.length > 0) {
          blockers.push({
            system: consumer.system,
            role: "consumer",
            reason: `needs v${version} to read ${broken.map((producer) => `${producer.system}'s v${producer.version}`).join(", ")}`,
          });
        }
      }
      return {
        type,
        version,
        latest: version === all[all.length - 1],
        compatibility: registry.compatibilityOf(type),
        status: lifecycle.status,
        ...(lifecycle.deprecation === undefined ? {} : { deprecation: lifecycle.deprecation }),
        producers: unique(
          typeProducers.filter((entry) => entry.version === version).map((entry) => entry.system),
        ),
        consumers: unique(
          typeConsumers.filter((entry) => entry.versions.includes(version)).map((entry) => entry.system),
        ),
        removalBlockedBy: blockers,
      };
    });
  });

  const count = (status: PairStatus) => pairs.filter((pair) => pair.status === status).length;
  return {
    ...(at === undefined ? {} : { at: new Date(at).toISOString() }),
    pairs,
    versions,
    unknown,
    summary: {
      pairs: pairs.length,
      ok: count("ok"),
      deprecated: count("deprecated"),
      incompatible: count("incompatible"),
      refused: count("refused"),
      unknown: count("unknown"),
    },
  };
}

/** Whether, and how, a consumer reading `versions` reads payloads of `produced`. */
function read(
  registry: ContractRegistry,
  type: string,
  produced: number,
  versions: readonly number[],
): Reading {
  if (versions.includes(produced))
    return { compatible: true, readsAs: produced, path: "same-version", issues: [] };
  const writer = registry.get(type, produced).jsonSchema();
  // Nearest versions first: they are the likeliest to read the payload.
  const ordered = [...versions].sort((a, b) => Math.abs(a - produced) - Math.abs(b - produced) || b - a);
  let nearestIssues: SchemaIncompatibility[] | undefined;
  for (const version of ordered) {
    const issues = findIncompatibilities(registry.get(type, version).jsonSchema(), writer, {
      reader: `the v${version} reader`,
      writer: `v${produced} data`,
    });
    if (issues.length === 0) return { compatible: true, readsAs: version, path: "reader-schema", issues: [] };
    nearestIssues ??= issues;
  }
  for (const version of ordered.filter((candidate) => candidate > produced)) {
    if (upcastable(registry, type, produced, version)) {
      return { compatible: true, readsAs: version, path: "upcast", issues: [] };
    }
  }
  return { compatible: false, issues: nearestIssues ?? [] };
}

/** Every step from `from` to `to` has an upcaster or reads the previous version as is. */
function upcastable(registry: ContractRegistry, type: string, from: number, to: number): boolean {
  for (let step = from + 1; step <= to; step++) {
    const contract = registry.get(type, step);
    if (contract.upcast !== undefined) continue;
    const previous = registry.get(type, step - 1).jsonSchema();
    if (findIncompatibilities(contract.jsonSchema(), previous).length > 0) return false;
  }
  return true;
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function checkDeclarations(systems: readonly SystemContracts[]): void {
  const issues: ValidationIssue[] = [];
  if (!Array.isArray(systems)) {
    throw new ValidationError("Compatibility report declarations are invalid", [
      { code: "invalid_type", path: [], message: "Expected an array of systems" },
    ]);
  }
  const isVersion = (value: unknown) => Number.isInteger(value) && (value as number) >= 1;
  systems.forEach((system, index) => {
    if (typeof system?.system !== "string" || system.system.length === 0) {
      issues.push({ code: "invalid_value", path: [index, "system"], message: "Expected the system's name" });
    }
    (system?.produces ?? []).forEach((produced: ProducedContract, position: number) => {
      if (typeof produced?.type !== "string") {
        issues.push({
          code: "invalid_type",
          path: [index, "produces", position, "type"],
          message: "Expected a contract type",
        });
      }
      if (!isVersion(produced?.version)) {
        issues.push({
          code: "invalid_value",
          path: [index, "produces", position, "version"],
          message: "Expected a whole number ≥ 1",
        });
      }
    });
    (system?.consumes ?? []).forEach((consumed: ConsumedContract, position: number) => {
      if (typeof consumed?.type !== "string") {
        issues.push({
          code: "invalid_type",
          path: [index, "consumes", position, "type"],
          message: "Expected a contract type",
        });
      }
      if (
        !Array.isArray(consumed?.versions) ||
        consumed.versions.length === 0 ||
        !consumed.versions.every(isVersion)
      ) {
        issues.push({
          code: "invalid_value",
          path: [index, "consumes", position, "versions"],
          message: "Expected a non-empty list of whole numbers ≥ 1",
        });
      }
    });
  });
  if (issues.length > 0) throw new ValidationError("Compatibility report declarations are invalid", issues);
}

/**
 * Options of {@link renderCompatibilityReport}.
 *
 * @example
 * ```ts
 * renderCompatibilityReport(report, { format: "text", title: "Order events" });
 * ```
 */
export interface RenderCompatibilityReportOptions {
  /** `markdown` (default) or `text`. */
  format?: "markdown" | "text";
  /** A title (default `Contract compatibility`). */
  title?: string;
}

/**
 * Renders a {@link CompatibilityReport} for people: a summary, the pairs (with the
 * problems of incompatible ones), and each version's lifecycle and removal blockers, as
 * Markdown tables or plain text.
 *
 * @param report - the report
 * @param options - format and title
 * @returns the rendered text, ending with a newline
 * @example
 * ```ts
 * writeFileSync("docs/contracts/compatibility.md", renderCompatibilityReport(report));
 * console.log(renderCompatibilityReport(report, { format: "text" }));
 * ```
 */
export function renderCompatibilityReport(
  report: CompatibilityReport,
  options: RenderCompatibilityReportOptions = {},
): string {
  const title = options.title ?? "Contract compatibility";
  const { summary } = report;
  const summaryLine =
    `${summary.pairs} producer → consumer pair${summary.pairs === 1 ? "" : "s"}: ${summary.ok} ok, ` +
    `${summary.deprecated} on a deprecated version, ${summary.incompatible} incompatible, ` +
    `${summary.refused} refused (past sunset), ${summary.unknown} unknown.`;
  const pairRows = report.pairs.map((pair) => [
    pair.type,
    `${pair.producer} (v${pair.producedVersion})`,
    `${pair.consumer} (${pair.consumerVersions.map((version) => `v${version}`).join(", ")})`,
    pair.status,
    describePath(pair),
  ]);
  const versionRows = report.versions.map((version) => [
    version.type,
    `v${version.version}${version.latest ? " (latest)" : ""}`,
    version.status,
    version.deprecation === undefined ? "" : describeTerms(version.deprecation),
    version.producers.join(", "),
    version.consumers.join(", "),
    version.removalBlockedBy.length === 0
      ? "nothing"
      : version.removalBlockedBy.map((blocker) => `${blocker.system} ${blocker.reason}`).join("; "),
  ]);
  const problems = report.pairs
    .filter((pair) => pair.issues.length > 0)
    .map((pair) => ({
      heading: `${pair.type}: ${pair.producer} v${pair.producedVersion} → ${pair.consumer}`,
      // Each message starts with the payload path already.
      lines: pair.issues.map((issue) => issue.message),
    }));
  const unknownLines = report.unknown.map(
    (entry) =>
      `${entry.system} ${entry.role === "producer" ? "writes" : "reads"} ${entry.type} v${entry.version}, which is not registered`,
  );
  const pairHeader = ["Contract", "Producer", "Consumer", "Status", "How"];
  const versionHeader = [
    "Contract",
    "Version",
    "Status",
    "Deprecation",
    "Producers",
    "Consumers",
    "Removal blocked by",
  ];

  if (options.format === "text") {
    const out = [title, "=".repeat(title.length), ""];
    if (report.at !== undefined) out.push(`As of ${report.at}.`);
    out.push(summaryLine, "", "Pairs:");
    for (const row of pairRows)
      out.push(`- ${row[0]}: ${row[1]} → ${row[2]}: ${row[3]}${row[4] ? `, ${row[4]}` : ""}`);
    if (pairRows.length === 0) out.push("- none");
    for (const problem of problems) {
      out.push("", `${problem.heading}:`, ...problem.lines.map((line) => `  - ${line}`));
    }
    out.push("", "Versions:");
    for (const row of versionRows) {
      out.push(
        `- ${row[0]} ${row[1]}: ${row[2]}${row[3] ? ` (${row[3]})` : ""}; producers: ${row[4] || "none"}; consumers: ${row[5] || "none"}; removal blocked by: ${row[6]}`,
      );
    }
    if (versionRows.length === 0) out.push("- none");
    if (unknownLines.length > 0)
      out.push("", "Unknown versions:", ...unknownLines.map((line) => `- ${line}`));
    return `${out.join("\n")}\n`;
  }

  const out = [`# ${title}`, ""];
  if (report.at !== undefined) out.push(`As of ${report.at}.`, "");
  out.push(summaryLine, "", "## Pairs", "");
  out.push(pairRows.length === 0 ? "No producer → consumer pairs." : table(pairHeader, pairRows));
  if (problems.length > 0) {
    out.push("", "### Problems");
    for (const problem of problems) {
      out.push(
        "",
        `**${escapeMarkdown(problem.heading)}**`,
        "",
        ...problem.lines.map((line) => `- ${escapeMarkdown(line)}`),
      );
    }
  }
  out.push("", "## Versions", "");
  out.push(versionRows.length === 0 ? "No versions." : table(versionHeader, versionRows));
  if (unknownLines.length > 0) {
    out.push("", "## Unknown versions", "", ...unknownLines.map((line) => `- ${escapeMarkdown(line)}`));
  }
  return `${out.join("\n")}\n`;
}

function describePath(pair: ContractPairReport): string {
  if (pair.readsAs === undefined) return pair.status === "unknown" ? "not registered" : "no version reads it";
  if (pair.path === "same-version") return `reads v${pair.readsAs}`;
  if (pair.path === "upcast") return `upcast to v${pair.readsAs}`;
  return `v${pair.readsAs} reads it as is`;
}

function describeTerms(deprecation: ContractDeprecation): string {
  return [
    `sunset ${deprecation.sunsetAt}`,
    ...(deprecation.replacement === undefined ? [] : [`use v${deprecation.replacement}`]),
    ...(deprecation.reason === undefined ? [] : [deprecation.reason]),
  ].join("; ");
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(" | ")} |`;
  return [line(header), `| ${header.map(() => "---").join(" | ")} |`, ...rows.map(line)].join("\n");
}

function escapeMarkdown(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}
