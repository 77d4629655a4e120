import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { createErpFiles, type FileRow } from "./erp-files";

let root: string;
const folders = () => ({
  inbox: join(root, "in"),
  archive: join(root, "archive"),
  errors: join(root, "errors"),
  outbox: join(root, "out"),
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "distro-files-"));
  const { mkdir } = await import("node:fs/promises");
  await mkdir(join(root, "in"), { recursive: true });
});

const csv = () =>
  createErpFiles({ ...folders(), layout: { kind: "csv", columns: ["sku", "location", "quantity"] } });

describe("ERP files", () => {
  it("imports a CSV extract as a stream, then archives it", async () => {
    await writeFile(
      join(root, "in", "stock-001.csv"),
      'sku,location,quantity\nBOLT-M8,EAST,1200\n"NUT, M8",WEST,0.5\n',
    );
    const rows: FileRow[] = [];
    const outcomes = await csv().importFiles((row) => void rows.push(row));
    expect(outcomes).toEqual([{ file: "stock-001.csv", outcome: "processed", rows: 2 }]);
    expect(rows.map((row) => row.values)).toEqual([
      { sku: "BOLT-M8", location: "EAST", quantity: "1200" },
      { sku: "NUT, M8", location: "WEST", quantity: "0.5" },
    ]);
    expect(await readdir(join(root, "archive"))).toContain("stock-001.csv");
    expect((await readdir(join(root, "in"))).filter((name) => !name.startsWith("."))).toEqual([]);
  });

  it("rejects a file with a malformed line before handing on any row, with a reason file naming the line", async () => {
    await writeFile(
      join(root, "in", "stock-002.csv"),
      "sku,location,quantity\nBOLT-M8,EAST,1200\nBOLT-M10,EAST\nBOLT-M12,WEST,5\n",
    );
    const rows: FileRow[] = [];
    const [outcome] = await csv().importFiles((row) => void rows.push(row));
    expect(rows).toEqual([]);
    expect(outcome).toMatchObject({ file: "stock-002.csv", outcome: "rejected" });
    expect(outcome?.outcome === "rejected" && outcome.issues[0]?.path).toEqual(["stock-002.csv", 3]);
    const reason = JSON.parse(await readFile(join(root, "errors", "stock-002.csv.reason.json"), "utf8"));
    expect(reason.reason).toContain("line 3");
    expect(await readdir(join(root, "errors"))).toContain("stock-002.csv");
  });

  it("never processes the same content twice, even under another name", async () => {
    const content = "sku,location,quantity\nBOLT-M8,EAST,1\n";
    await writeFile(join(root, "in", "a.csv"), content);
    let calls = 0;
    await csv().importFiles(() => void calls++);
    await writeFile(join(root, "in", "a-resent.csv"), content);
    const [again] = await csv().importFiles(() => void calls++);
    expect(again).toEqual({ file: "a-resent.csv", outcome: "duplicate" });
    expect(calls).toBe(1);
  });

  it("lets two concurrent importers process each file once", async () => {
    for (let index = 0; index < 6; index++) {
      await writeFile(
        join(root, "in", `f-${index}.csv`),
        `sku,location,quantity\nSKU-${index},EAST,${index + 1}\n`,
      );
    }
    const seen: string[] = [];
    const [first, second] = await Promise.all([
      csv().importFiles((row) => void seen.push(row.values.sku as string)),
      csv().importFiles((row) => void seen.push(row.values.sku as string)),
    ]);
    expect(
      [...(first ?? []), ...(second ?? [])].filter((outcome) => outcome.outcome === "processed"),
    ).toHaveLength(6);
    expect(seen.sort()).toEqual(["SKU-0", "SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5"]);
  });

  it("reads fixed-width files and rejects a short line by number", async () => {
    const files = createErpFiles({
      ...folders(),
      layout: {
        kind: "fixed-width",
        fields: [
          { name: "sku", start: 1, length: 10 },
          { name: "quantity", start: 11, length: 6 },
        ],
      },
    });
    await writeFile(join(root, "in", "fw-1.txt"), "BOLT-M8   001200\nNUT-M8    000005\n");
    await writeFile(join(root, "in", "fw-2.txt"), "BOLT-M8   001200\nSHORT\n");
    const rows: FileRow[] = [];
    const outcomes = await files.importFiles((row) => void rows.push(row));
    expect(rows.map((row) => row.values)).toEqual([
      { sku: "BOLT-M8", quantity: "001200" },
      { sku: "NUT-M8", quantity: "000005" },
    ]);
    expect(outcomes[1]).toMatchObject({
      file: "fw-2.txt",
      outcome: "rejected",
      issues: [{ code: "short_line", path: ["fw-2.txt", 2] }],
    });
  });

  it("writes exports atomically: a failed export leaves no file and no temporary behind", async () => {
    const files = createErpFiles({
      ...folders(),
      layout: {
        kind: "fixed-width",
        fields: [
          { name: "sku", start: 1, length: 8 },
          { name: "quantity", start: 9, length: 4 },
        ],
      },
    });
    const path = await files.writeFile("orders.txt", [{ sku: "BOLT-M8", quantity: "12" }]);
    expect(await readFile(path, "utf8")).toBe("BOLT-M8 12  \n");
    await expect(files.writeFile("bad.txt", [{ sku: "TOO-LONG-SKU", quantity: "1" }])).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect(await readdir(join(root, "out"))).toEqual(["orders.txt"]);
    const exported = await csv().writeFile("stock.csv", [
      { sku: 'A "quoted", value', location: "EAST", quantity: "1" },
    ]);
    expect(await readFile(exported, "utf8")).toBe(
      'sku,location,quantity\r\n"A ""quoted"", value",EAST,1\r\n',
    );
  });
});
