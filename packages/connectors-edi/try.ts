import { readFileSync } from "node:fs";
import { parseEdi, x12ToShipment, definePartnerProfile } from "./src/index";
const t = parseEdi(readFileSync("/work/shared/conformance/edi/olmelabs__EdiEngine__856.Crossdock.OK.edi")).interchanges[0]!.groups[0]!.transactions[0]!;
const w = { name: "Central DC", line1: "1200 Industrial Pkwy", city: "Columbus", region: "OH", postalCode: "43215", country: "US" };
try { console.log(x12ToShipment(t, { partner: definePartnerProfile({ id: "acme", standard: "x12", partnerId: { qualifier: "12", id: "4405197800" }, ourId: { qualifier: "01", id: "999999999" }, version: "004010", locations: { "0001": w } }) })); } catch (e: any) { console.log(e.message, e.issues, e.cause); }
