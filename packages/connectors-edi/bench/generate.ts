/**
 * Generates a valid X12 850 interchange: one ISA, one GS, `transactions` transaction
 * sets of `lines` PO1/PID pairs each, with correct SE01, GE01 and IEA01 counts.
 *
 * @param transactions - number of transaction sets
 * @param lines - PO1 lines per transaction set
 * @returns the interchange text (`~` terminators followed by a line break)
 */
export function generate850Interchange(transactions: number, lines: number): string {
  const parts: string[] = [
    "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*SUPPLIERCO     *260105*1200*U*00401*000000101*0*P*>~\n",
    "GS*PO*BUYERCO*SUPPLIERCO*20260105*1200*101*X*004010~\n",
  ];
  for (let set = 1; set <= transactions; set++) {
    const control = String(set).padStart(4, "0");
    const segments: string[] = [
      `ST*850*${control}`,
      `BEG*00*SA*PO${String(100000 + set)}**20260105`,
      `REF*DP*${set % 97}`,
      "DTM*002*20260120",
      `N1*ST*DISTRIBUTION CENTER ${set % 50}*92*DC${String(set % 50).padStart(3, "0")}`,
      "N3*1200 INDUSTRIAL PARKWAY",
      "N4*COLUMBUS*OH*43215*US",
    ];
    for (let line = 1; line <= lines; line++) {
      const sku = `SKU-${String((set * 31 + line * 7) % 100000).padStart(5, "0")}`;
      segments.push(
        `PO1*${line}*${(line % 12) + 1}*EA*${(line * 1.25).toFixed(2)}**VP*${sku}*UP*0${String(700000000000 + set * 100 + line)}`,
      );
      segments.push(`PID*F****FASTENER HEX BOLT M${(line % 20) + 4} ZINC PLATED BOX OF 100`);
    }
    segments.push(`CTT*${lines}`);
    segments.push(`SE*${segments.length + 1}*${control}`);
    parts.push(`${segments.join("~\n")}~\n`);
  }
  parts.push(`GE*${transactions}*101~\n`, "IEA*1*000000101~\n");
  return parts.join("");
}
