import { readFileSync } from "node:fs";
import { parseEdi } from "./src/index";
import { edifactToOrder, desadvToShipment, invoicToInvoice } from "./src/mapping/index";
const dir = "/work/shared/conformance/edi/";
const tx = (n: string) => parseEdi(readFileSync(dir + n)).interchanges.flatMap((i) => i.groups.flatMap((g) => g.transactions));
for (const [n, f] of [["php-edifact__edifact__example_order_ok.edi", edifactToOrder], ["xlate__staedi__orders-with-group.edi", edifactToOrder], ["DFDLSchemas__EDIFACT__ORDERS_D.03B_Interchange.txt", edifactToOrder], ["bots-edi__bots-plugins__0T0000000015.edi", edifactToOrder], ["bots-edi__bots-plugins__desadv1.edi", desadvToShipment], ["php-edifact__edifact__D96ADESADV.edi", desadvToShipment], ["bots-edi__bots-plugins__invoic01.edi", invoicToInvoice], ["xlate__staedi__invoic_d97b_una.edi", invoicToInvoice], ["DFDLSchemas__EDIFACT__INVOIC_D.03B_Interchange_with_UNA.txt", invoicToInvoice]] as const) {
  for (const t of tx(n).slice(0, 1)) {
    try { const r = (f as any)(t); console.log(n, "OK", JSON.stringify(r).slice(0, 300)); } catch (e: any) { console.log(n, "ERR", e.message.slice(0, 300)); }
  }
}
