/**
 * Element types. X12: `ID` (code), `AN` (string), `N0`…`N9` (integer with implied
 * decimals), `R` (decimal), `DT` (date), `TM` (time). EDIFACT: `a`, `n`, `an`.
 */
export type ElementType = "ID" | "AN" | "N0" | "N1" | "N2" | "N" | "R" | "DT" | "TM" | "a" | "n" | "an";

/** The rule for one simple element or one component. */
export interface ElementRule {
  /** The data element reference number (`353`, `3035`). */
  id: string;
  /** The element's name. */
  name: string;
  /** Its type. */
  type: ElementType;
  /** Minimum length. */
  min: number;
  /** Maximum length. */
  max: number;
  /** Whether it is mandatory. */
  required?: boolean;
  /** Allowed codes, when the code list is closed. */
  codes?: readonly string[];
  /** Components, when the element is composite. */
  components?: readonly ElementRule[];
}

/**
 * An X12 syntax note: `P` paired (all or none), `R` at least one required, `C` if the
 * first is present all others are required, `E` at most one, `L` if the first is present
 * at least one other is required. `elements` are element numbers (1-based).
 */
export interface SyntaxNote {
  /** The relation. */
  kind: "P" | "R" | "C" | "E" | "L";
  /** The elements it relates. */
  elements: readonly number[];
}

/** The rule for one segment. */
export interface SegmentRule {
  /** The segment tag. */
  tag: string;
  /** The segment name. */
  name: string;
  /** Element rules, element 1 first. */
  elements: readonly ElementRule[];
  /** X12 syntax notes. */
  notes?: readonly SyntaxNote[];
}

/** Message-level rules of one transaction set or message type. */
export interface TransactionRule {
  /** Segments that must appear at least once. */
  required?: readonly string[];
  /** Segments that may appear at most this many times (outside loops). */
  maxUse?: Readonly<Record<string, number>>;
}

/** A dictionary of segment and transaction rules for each standard. */
export interface EdiDictionary {
  /** X12 segment rules by tag. */
  x12: Readonly<Record<string, SegmentRule>>;
  /** EDIFACT segment rules by tag. */
  edifact: Readonly<Record<string, SegmentRule>>;
  /** Transaction rules by type (`850`, `ORDERS`). */
  transactions: Readonly<Record<string, TransactionRule>>;
}

const x = (
  id: string,
  name: string,
  type: ElementType,
  min: number,
  max: number,
  required = false,
  codes?: readonly string[],
): ElementRule => ({ id, name, type, min, max, required, ...(codes ? { codes } : {}) });

const composite = (id: string, name: string, required: boolean, components: ElementRule[]): ElementRule => ({
  id,
  name,
  type: "an",
  min: 0,
  max: 0,
  required,
  components,
});

const FUNCTIONAL_IDS = [
  "PO",
  "PR",
  "PC",
  "SH",
  "IN",
  "FA",
  "RA",
  "IM",
  "QM",
  "OW",
  "AR",
  "RE",
  "SW",
  "HC",
  "HP",
  "HS",
  "HB",
  "HI",
  "GF",
  "SM",
  "IB",
  "RS",
  "CA",
  "AG",
  "PS",
  "FT",
  "TX",
];
const AK3_CODES = ["1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"];
const AK4_CODES = [
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
  "10",
  "12",
  "13",
  "I10",
  "I11",
  "I12",
  "I13",
  "I6",
  "I9",
];
const AK5_CODES = [
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
  "10",
  "11",
  "12",
  "13",
  "15",
  "16",
  "17",
  "18",
  "19",
  "23",
  "24",
  "25",
  "26",
  "27",
  "I5",
  "I6",
];
const AK9_CODES = [
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "16",
  "17",
  "18",
  "19",
  "20",
  "21",
  "22",
  "23",
  "24",
  "25",
  "26",
];

function pairs(from: number, count: number): ElementRule[] {
  const out: ElementRule[] = [];
  for (let index = 0; index < count; index++) {
    out.push(x("235", `Product/Service ID Qualifier ${from + index}`, "ID", 2, 2));
    out.push(x("234", `Product/Service ID ${from + index}`, "AN", 1, 48));
  }
  return out;
}

function pairNotes(first: number, count: number): SyntaxNote[] {
  const out: SyntaxNote[] = [];
  for (let index = 0; index < count; index++)
    out.push({ kind: "P", elements: [first + index * 2, first + index * 2 + 1] });
  return out;
}

const X12_SEGMENTS: Record<string, SegmentRule> = {
  ST: {
    tag: "ST",
    name: "Transaction Set Header",
    elements: [
      x("143", "Transaction Set Identifier Code", "ID", 3, 3, true),
      x("329", "Transaction Set Control Number", "AN", 4, 9, true),
      x("1705", "Implementation Convention Reference", "AN", 1, 35),
    ],
  },
  SE: {
    tag: "SE",
    name: "Transaction Set Trailer",
    elements: [
      x("96", "Number of Included Segments", "N0", 1, 10, true),
      x("329", "Transaction Set Control Number", "AN", 4, 9, true),
    ],
  },
  AK1: {
    tag: "AK1",
    name: "Functional Group Response Header",
    elements: [
      x("479", "Functional Identifier Code", "ID", 2, 2, true, FUNCTIONAL_IDS),
      x("28", "Group Control Number", "N0", 1, 9, true),
      x("480", "Version / Release / Industry Identifier Code", "AN", 1, 12),
    ],
  },
  AK2: {
    tag: "AK2",
    name: "Transaction Set Response Header",
    elements: [
      x("143", "Transaction Set Identifier Code", "ID", 3, 3, true),
      x("329", "Transaction Set Control Number", "AN", 4, 9, true),
      x("1705", "Implementation Convention Reference", "AN", 1, 35),
    ],
  },
  AK3: {
    tag: "AK3",
    name: "Data Segment Note",
    elements: [
      x("721", "Segment ID Code", "ID", 2, 3, true),
      x("719", "Segment Position in Transaction Set", "N0", 1, 10, true),
      x("447", "Loop Identifier Code", "AN", 1, 4),
      x("720", "Segment Syntax Error Code", "ID", 1, 3, false, AK3_CODES),
    ],
  },
  AK4: {
    tag: "AK4",
    name: "Data Element Note",
    elements: [
      {
        ...composite("C030", "Position in Segment", true, [
          x("722", "Element Position in Segment", "N0", 1, 2, true),
          x("1528", "Component Data Element Position in Composite", "N0", 1, 2),
          x("1686", "Repeating Data Element Position", "N0", 1, 4),
        ]),
        type: "AN",
      },
      x("725", "Data Element Reference Number", "N0", 1, 4),
      x("723", "Data Element Syntax Error Code", "ID", 1, 3, true, AK4_CODES),
      x("724", "Copy of Bad Data Element", "AN", 1, 99),
    ],
  },
  AK5: {
    tag: "AK5",
    name: "Transaction Set Response Trailer",
    elements: [
      x("717", "Transaction Set Acknowledgment Code", "ID", 1, 1, true, ["A", "E", "M", "R", "W", "X"]),
      ...[1, 2, 3, 4, 5].map((n) =>
        x("718", `Transaction Set Syntax Error Code ${n}`, "ID", 1, 3, false, AK5_CODES),
      ),
    ],
  },
  AK9: {
    tag: "AK9",
    name: "Functional Group Response Trailer",
    elements: [
      x("715", "Functional Group Acknowledge Code", "ID", 1, 1, true, ["A", "E", "M", "P", "R", "W", "X"]),
      x("97", "Number of Transaction Sets Included", "N0", 1, 6, true),
      x("123", "Number of Received Transaction Sets", "N0", 1, 6, true),
      x("2", "Number of Accepted Transaction Sets", "N0", 1, 6, true),
      ...[1, 2, 3, 4, 5].map((n) =>
        x("716", `Functional Group Syntax Error Code ${n}`, "ID", 1, 3, false, AK9_CODES),
      ),
    ],
  },
  BEG: {
    tag: "BEG",
    name: "Beginning Segment for Purchase Order",
    elements: [
      x("353", "Transaction Set Purpose Code", "ID", 2, 2, true),
      x("92", "Purchase Order Type Code", "ID", 2, 2, true),
      x("324", "Purchase Order Number", "AN", 1, 22, true),
      x("328", "Release Number", "AN", 1, 30),
      x("373", "Date", "DT", 8, 8, true),
      x("367", "Contract Number", "AN", 1, 30),
      x("587", "Acknowledgment Type", "ID", 2, 2),
      x("1019", "Invoice Type Code", "ID", 3, 3),
      x("1166", "Contract Type Code", "ID", 2, 2),
      x("1232", "Purchase Category", "ID", 2, 2),
    ],
  },
  BAK: {
    tag: "BAK",
    name: "Beginning Segment for Purchase Order Acknowledgment",
    elements: [
      x("353", "Transaction Set Purpose Code", "ID", 2, 2, true),
      x("587", "Acknowledgment Type", "ID", 2, 2, true),
      x("324", "Purchase Order Number", "AN", 1, 22, true),
      x("373", "Date", "DT", 8, 8, true),
      x("328", "Release Number", "AN", 1, 30),
      x("326", "Request Reference Number", "AN", 1, 45),
      x("367", "Contract Number", "AN", 1, 30),
      x("127", "Reference Identification", "AN", 1, 30),
      x("373", "Date", "DT", 8, 8),
    ],
  },
  PO1: {
    tag: "PO1",
    name: "Baseline Item Data",
    elements: [
      x("350", "Assigned Identification", "AN", 1, 20),
      x("330", "Quantity Ordered", "R", 1, 15),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("212", "Unit Price", "R", 1, 17),
      x("639", "Basis of Unit Price Code", "ID", 2, 2),
      ...pairs(1, 10),
    ],
    notes: [{ kind: "C", elements: [3, 2] }, { kind: "C", elements: [5, 4] }, ...pairNotes(6, 10)],
  },
  ACK: {
    tag: "ACK",
    name: "Line Item Acknowledgment",
    elements: [
      x("668", "Line Item Status Code", "ID", 2, 2, true),
      x("380", "Quantity", "R", 1, 15),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("374", "Date/Time Qualifier", "ID", 3, 3),
      x("373", "Date", "DT", 8, 8),
      x("326", "Request Reference Number", "AN", 1, 45),
      ...pairs(1, 10),
      x("559", "Agency Qualifier Code", "ID", 2, 2),
      x("822", "Source Subqualifier", "AN", 1, 15),
      x("1271", "Industry Code", "AN", 1, 30),
    ],
    notes: [{ kind: "P", elements: [2, 3] }, { kind: "C", elements: [4, 5] }, ...pairNotes(7, 10)],
  },
  PO4: {
    tag: "PO4",
    name: "Item Physical Details",
    elements: [
      x("356", "Pack", "N0", 1, 6),
      x("357", "Size", "R", 1, 8),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("103", "Packaging Code", "AN", 3, 5),
      x("187", "Weight Qualifier", "ID", 1, 2),
      x("384", "Gross Weight per Pack", "R", 1, 9),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("385", "Gross Volume per Pack", "R", 1, 9),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("82", "Length", "R", 1, 8),
      x("189", "Width", "R", 1, 8),
      x("65", "Height", "R", 1, 8),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("810", "Inner Pack", "N0", 1, 6),
      x("752", "Surface/Layer/Position Code", "ID", 2, 2),
      x("350", "Assigned Identification", "AN", 1, 20),
      x("350", "Assigned Identification", "AN", 1, 20),
      x("1470", "Number", "N0", 1, 9),
    ],
    notes: [
      { kind: "P", elements: [2, 3] },
      { kind: "C", elements: [5, 6] },
      { kind: "P", elements: [6, 7] },
      { kind: "P", elements: [8, 9] },
    ],
  },
  N1: {
    tag: "N1",
    name: "Name",
    elements: [
      x("98", "Entity Identifier Code", "ID", 2, 3, true),
      x("93", "Name", "AN", 1, 60),
      x("66", "Identification Code Qualifier", "ID", 1, 2),
      x("67", "Identification Code", "AN", 2, 80),
      x("706", "Entity Relationship Code", "ID", 2, 2),
      x("98", "Entity Identifier Code", "ID", 2, 3),
    ],
    notes: [
      { kind: "R", elements: [2, 3] },
      { kind: "P", elements: [3, 4] },
    ],
  },
  N3: {
    tag: "N3",
    name: "Address Information",
    elements: [
      x("166", "Address Information", "AN", 1, 55, true),
      x("166", "Address Information", "AN", 1, 55),
    ],
  },
  N4: {
    tag: "N4",
    name: "Geographic Location",
    elements: [
      x("19", "City Name", "AN", 2, 30),
      x("156", "State or Province Code", "ID", 2, 2),
      x("116", "Postal Code", "ID", 3, 15),
      x("26", "Country Code", "ID", 2, 3),
      x("309", "Location Qualifier", "ID", 1, 2),
      x("310", "Location Identifier", "AN", 1, 30),
    ],
    notes: [{ kind: "C", elements: [6, 5] }],
  },
  REF: {
    tag: "REF",
    name: "Reference Identification",
    elements: [
      x("128", "Reference Identification Qualifier", "ID", 2, 3, true),
      x("127", "Reference Identification", "AN", 1, 30),
      x("352", "Description", "AN", 1, 80),
    ],
    notes: [{ kind: "R", elements: [2, 3] }],
  },
  DTM: {
    tag: "DTM",
    name: "Date/Time Reference",
    elements: [
      x("374", "Date/Time Qualifier", "ID", 3, 3, true),
      x("373", "Date", "DT", 8, 8),
      x("337", "Time", "TM", 4, 8),
      x("623", "Time Code", "ID", 2, 2),
      x("1250", "Date Time Period Format Qualifier", "ID", 2, 3),
      x("1251", "Date Time Period", "AN", 1, 35),
    ],
    notes: [
      { kind: "R", elements: [2, 3, 5] },
      { kind: "C", elements: [4, 3] },
      { kind: "P", elements: [5, 6] },
    ],
  },
  CTT: {
    tag: "CTT",
    name: "Transaction Totals",
    elements: [
      x("354", "Number of Line Items", "N0", 1, 6, true),
      x("347", "Hash Total", "R", 1, 10),
      x("81", "Weight", "R", 1, 10),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("183", "Volume", "R", 1, 8),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("352", "Description", "AN", 1, 80),
    ],
    notes: [
      { kind: "P", elements: [3, 4] },
      { kind: "P", elements: [5, 6] },
    ],
  },
  BSN: {
    tag: "BSN",
    name: "Beginning Segment for Ship Notice",
    elements: [
      x("353", "Transaction Set Purpose Code", "ID", 2, 2, true),
      x("396", "Shipment Identification", "AN", 2, 30, true),
      x("373", "Date", "DT", 8, 8, true),
      x("337", "Time", "TM", 4, 8, true),
      x("1005", "Hierarchical Structure Code", "ID", 4, 4),
      x("640", "Transaction Type Code", "ID", 2, 2),
      x("641", "Status Reason Code", "ID", 3, 3),
    ],
  },
  HL: {
    tag: "HL",
    name: "Hierarchical Level",
    elements: [
      x("628", "Hierarchical ID Number", "AN", 1, 12, true),
      x("734", "Hierarchical Parent ID Number", "AN", 1, 12),
      x("735", "Hierarchical Level Code", "ID", 1, 2, true),
      x("736", "Hierarchical Child Code", "ID", 1, 1, false, ["0", "1"]),
    ],
  },
  MAN: {
    tag: "MAN",
    name: "Marks and Numbers",
    elements: [
      x("88", "Marks and Numbers Qualifier", "ID", 1, 2, true),
      x("87", "Marks and Numbers", "AN", 1, 48, true),
      x("87", "Marks and Numbers", "AN", 1, 48),
      x("88", "Marks and Numbers Qualifier", "ID", 1, 2),
      x("87", "Marks and Numbers", "AN", 1, 48),
      x("87", "Marks and Numbers", "AN", 1, 48),
    ],
    notes: [{ kind: "P", elements: [4, 5] }],
  },
  SN1: {
    tag: "SN1",
    name: "Item Detail (Shipment)",
    elements: [
      x("350", "Assigned Identification", "AN", 1, 20),
      x("382", "Number of Units Shipped", "R", 1, 10, true),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2, true),
      x("646", "Quantity Shipped to Date", "R", 1, 15),
      x("330", "Quantity Ordered", "R", 1, 15),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("728", "Returnable Container Load Make-Up Code", "AN", 1, 10),
      x("668", "Line Item Status Code", "ID", 2, 2),
    ],
    notes: [{ kind: "P", elements: [5, 6] }],
  },
  LIN: {
    tag: "LIN",
    name: "Item Identification",
    elements: [x("350", "Assigned Identification", "AN", 1, 20), ...pairs(1, 15)],
    notes: pairNotes(2, 15),
  },
  PRF: {
    tag: "PRF",
    name: "Purchase Order Reference",
    elements: [
      x("324", "Purchase Order Number", "AN", 1, 22, true),
      x("328", "Release Number", "AN", 1, 30),
      x("327", "Change Order Sequence Number", "AN", 1, 8),
      x("373", "Date", "DT", 8, 8),
    ],
  },
  BIG: {
    tag: "BIG",
    name: "Beginning Segment for Invoice",
    elements: [
      x("373", "Date", "DT", 8, 8, true),
      x("76", "Invoice Number", "AN", 1, 22, true),
      x("373", "Date", "DT", 8, 8),
      x("324", "Purchase Order Number", "AN", 1, 22),
      x("328", "Release Number", "AN", 1, 30),
      x("327", "Change Order Sequence Number", "AN", 1, 8),
      x("640", "Transaction Type Code", "ID", 2, 2),
      x("353", "Transaction Set Purpose Code", "ID", 2, 2),
      x("306", "Action Code", "ID", 1, 2),
      x("76", "Invoice Number", "AN", 1, 22),
    ],
  },
  IT1: {
    tag: "IT1",
    name: "Baseline Item Data (Invoice)",
    elements: [
      x("350", "Assigned Identification", "AN", 1, 20),
      x("358", "Quantity Invoiced", "R", 1, 10),
      x("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
      x("212", "Unit Price", "R", 1, 17),
      x("639", "Basis of Unit Price Code", "ID", 2, 2),
      ...pairs(1, 10),
    ],
    notes: [{ kind: "P", elements: [2, 3] }, { kind: "P", elements: [2, 4] }, ...pairNotes(6, 10)],
  },
  TDS: {
    tag: "TDS",
    name: "Total Monetary Value Summary",
    elements: [
      x("610", "Amount", "N2", 1, 15, true),
      x("610", "Amount", "N2", 1, 15),
      x("610", "Amount", "N2", 1, 15),
      x("610", "Amount", "N2", 1, 15),
    ],
  },
};

const e = (
  id: string,
  name: string,
  type: ElementType,
  max: number,
  required = false,
  codes?: readonly string[],
): ElementRule => x(id, name, type, type === "a" && max === 1 ? 1 : 1, max, required, codes);

const EDIFACT_SEGMENTS: Record<string, SegmentRule> = {
  BGM: {
    tag: "BGM",
    name: "Beginning of message",
    elements: [
      composite("C002", "Document/message name", false, [
        e("1001", "Document name code", "an", 3),
        e("1131", "Code list identification code", "an", 17),
        e("3055", "Code list responsible agency code", "an", 3),
        e("1000", "Document name", "an", 35),
      ]),
      composite("C106", "Document/message identification", false, [
        e("1004", "Document identifier", "an", 70),
        e("1056", "Version identifier", "an", 9),
        e("1060", "Revision identifier", "an", 6),
      ]),
      e("1225", "Message function code", "an", 3),
      e("4343", "Response type code", "an", 3),
    ],
  },
  DTM: {
    tag: "DTM",
    name: "Date/time/period",
    elements: [
      composite("C507", "Date/time/period", true, [
        e("2005", "Date or time or period function code qualifier", "an", 3, true),
        e("2380", "Date or time or period value", "an", 35),
        e("2379", "Date or time or period format code", "an", 3),
      ]),
    ],
  },
  NAD: {
    tag: "NAD",
    name: "Name and address",
    elements: [
      e("3035", "Party function code qualifier", "an", 3, true),
      composite("C082", "Party identification details", false, [
        e("3039", "Party identifier", "an", 35, true),
        e("1131", "Code list identification code", "an", 17),
        e("3055", "Code list responsible agency code", "an", 3),
      ]),
      composite(
        "C058",
        "Name and address",
        false,
        [1, 2, 3, 4, 5].map((n) => e("3124", `Name and address description ${n}`, "an", 35, n === 1)),
      ),
      composite("C080", "Party name", false, [
        ...[1, 2, 3, 4, 5].map((n) => e("3036", `Party name ${n}`, "an", 70, n === 1)),
        e("3045", "Party name format code", "an", 3),
      ]),
      composite(
        "C059",
        "Street",
        false,
        [1, 2, 3, 4].map((n) =>
          e("3042", `Street and number or post office box identifier ${n}`, "an", 35, n === 1),
        ),
      ),
      e("3164", "City name", "an", 35),
      composite("C819", "Country sub-entity details", false, [
        e("3229", "Country sub-entity name code", "an", 9),
        e("1131", "Code list identification code", "an", 17),
        e("3055", "Code list responsible agency code", "an", 3),
        e("3228", "Country sub-entity name", "an", 70),
      ]),
      e("3251", "Postal identification code", "an", 17),
      e("3207", "Country name code", "an", 3),
    ],
  },
  QTY: {
    tag: "QTY",
    name: "Quantity",
    elements: [
      composite("C186", "Quantity details", true, [
        e("6063", "Quantity type code qualifier", "an", 3, true),
        e("6060", "Quantity", "n", 35, true),
        e("6411", "Measurement unit code", "an", 8),
      ]),
    ],
  },
  PRI: {
    tag: "PRI",
    name: "Price details",
    elements: [
      composite("C509", "Price information", false, [
        e("5125", "Price code qualifier", "an", 3, true),
        e("5118", "Price amount", "n", 15),
        e("5375", "Price type code", "an", 3),
        e("5387", "Price specification code", "an", 3),
        e("5284", "Unit price basis value", "n", 9),
        e("6411", "Measurement unit code", "an", 8),
      ]),
      e("5213", "Sub-line item price change operation code", "an", 3),
    ],
  },
  MOA: {
    tag: "MOA",
    name: "Monetary amount",
    elements: [
      composite("C516", "Monetary amount", true, [
        e("5025", "Monetary amount type code qualifier", "an", 3, true),
        e("5004", "Monetary amount", "n", 35),
        e("6345", "Currency identification code", "an", 3),
        e("6343", "Currency type code qualifier", "an", 3),
        e("4405", "Status description code", "an", 3),
      ]),
    ],
  },
  IMD: {
    tag: "IMD",
    name: "Item description",
    elements: [
      e("7077", "Description format code", "an", 3),
      composite("C272", "Item characteristic", false, [
        e("7081", "Item characteristic code", "an", 3),
        e("1131", "Code list identification code", "an", 17),
        e("3055", "Code list responsible agency code", "an", 3),
      ]),
      composite("C273", "Item description", false, [
        e("7009", "Item description code", "an", 17),
        e("1131", "Code list identification code", "an", 17),
        e("3055", "Code list responsible agency code", "an", 3),
        e("7008", "Item description", "an", 256),
        e("7008", "Item description", "an", 256),
        e("3453", "Language name code", "an", 3),
      ]),
      e("7383", "Surface or layer code", "an", 3),
    ],
  },
  LIN: {
    tag: "LIN",
    name: "Line item",
    elements: [
      e("1082", "Line item identifier", "an", 6),
      e("1229", "Action request/notification description code", "an", 3),
      composite("C212", "Item number identification", false, [
        e("7140", "Item identifier", "an", 35),
        e("7143", "Item type identification code", "an", 3),
        e("1131", "Code list identification code", "an", 17),
        e("3055", "Code list responsible agency code", "an", 3),
      ]),
      composite("C829", "Sub-line information", false, [
        e("5495", "Sub-line indicator code", "an", 3),
        e("1082", "Line item identifier", "an", 6),
      ]),
      e("1222", "Configuration level number", "n", 2),
      e("7083", "Configuration operation code", "an", 3),
    ],
  },
  RFF: {
    tag: "RFF",
    name: "Reference",
    elements: [
      composite("C506", "Reference", true, [
        e("1153", "Reference code qualifier", "an", 3, true),
        e("1154", "Reference identifier", "an", 70),
        e("1156", "Document line identifier", "an", 6),
        e("4000", "Reference version identifier", "an", 35),
        e("1060", "Revision identifier", "an", 6),
      ]),
    ],
  },
  UNS: {
    tag: "UNS",
    name: "Section control",
    elements: [e("0081", "Section identification", "a", 1, true, ["D", "S"])],
  },
  CUX: {
    tag: "CUX",
    name: "Currencies",
    elements: [1, 2]
      .map((n) =>
        composite("C504", `Currency details ${n}`, false, [
          e("6347", "Currency usage code qualifier", "an", 3, true),
          e("6345", "Currency identification code", "an", 3),
          e("6343", "Currency type code qualifier", "an", 3),
          e("6348", "Currency rate", "n", 4),
        ]),
      )
      .concat([
        e("5402", "Currency exchange rate", "n", 12),
        e("6341", "Exchange rate currency market identifier", "an", 3),
      ]),
  },
  CNT: {
    tag: "CNT",
    name: "Control total",
    elements: [
      composite("C270", "Control", true, [
        e("6069", "Control total type code qualifier", "an", 3, true),
        e("6066", "Control total quantity", "n", 18, true),
        e("6411", "Measurement unit code", "an", 8),
      ]),
    ],
  },
};

const X12_TRANSACTIONS: Record<string, TransactionRule> = {
  "850": { required: ["BEG"], maxUse: { BEG: 1, CTT: 1 } },
  "855": { required: ["BAK"], maxUse: { BAK: 1, CTT: 1 } },
  "856": { required: ["BSN", "HL"], maxUse: { BSN: 1, CTT: 1 } },
  "810": { required: ["BIG", "TDS"], maxUse: { BIG: 1, TDS: 1, CTT: 1 } },
  "997": { required: ["AK1", "AK9"], maxUse: { AK1: 1, AK9: 1 } },
  ORDERS: { required: ["BGM"], maxUse: { BGM: 1, UNS: 1 } },
  INVOIC: { required: ["BGM", "UNS"], maxUse: { BGM: 1, UNS: 1 } },
  DESADV: { required: ["BGM"], maxUse: { BGM: 1, UNS: 1 } },
  ORDRSP: { required: ["BGM"], maxUse: { BGM: 1, UNS: 1 } },
};

/**
 * The built-in dictionary: X12 004010/005010 rules for the envelope, acknowledgement
 * (997), order (850, 855), ship notice (856) and invoice (810) segments, and EDIFACT
 * rules for the ORDERS / DESADV / INVOIC segments distro maps. Unknown segments are
 * not checked.
 *
 * @example
 * ```ts
 * validateDocument(document, { dictionary: DEFAULT_DICTIONARY });
 * ```
 */
export const DEFAULT_DICTIONARY: EdiDictionary = {
  x12: X12_SEGMENTS,
  edifact: EDIFACT_SEGMENTS,
  transactions: X12_TRANSACTIONS,
};
