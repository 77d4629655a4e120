import {
  addDecimal,
  compareDecimal,
  type DecimalString,
  multiplyDecimal,
  roundDecimal,
  subtractDecimal,
} from "@distro/core";

/** The warehouses (location codes) every simulated item is stocked in. */
export const BUSINESS_CENTRAL_LOCATIONS = ["EAST", "CENTRAL", "WEST"] as const;

/** A stored entity: its properties plus the version that drives its ETag. */
export interface StoredEntity {
  id: string;
  version: number;
  lastModifiedDateTime: string;
  [property: string]: unknown;
}

/** An error the simulator answers in Business Central's OData error shape. */
export class BusinessCentralProblem extends Error {
  /**
   * @param status - the HTTP status to answer
   * @param code - Business Central's error code (e.g. `BadRequest_NotFound`)
   * @param message - the message
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "BusinessCentralProblem";
  }
}

/** One order booked by the simulated ERP, as kept in its business ledger. */
export interface BusinessCentralBooking {
  /** The order number the ERP assigned. */
  orderNumber: string;
  /** The order's id (GUID). */
  orderId: string;
  /** The external document number the client sent (the idempotency key of a correct client). */
  externalDocumentNumber: string;
  /** The customer number. */
  customerNumber: string;
  /** The order total, excluding tax, as a decimal string. */
  totalAmountExcludingTax: DecimalString;
  /** When it was booked (ISO time from the simulator's clock). */
  bookedAt: string;
}

/** Options for the seed data. */
export interface BusinessCentralSeed {
  /** How many items to create (default 60). */
  items?: number;
}

/** The entity sets the simulator serves, with their property names (for `$filter` / `$select`). */
export const ENTITY_PROPERTIES: Record<string, readonly string[]> = {
  items: [
    "id",
    "number",
    "displayName",
    "type",
    "blocked",
    "baseUnitOfMeasureCode",
    "unitPrice",
    "inventory",
    "itemCategoryCode",
    "lastModifiedDateTime",
  ],
  customers: [
    "id",
    "number",
    "displayName",
    "email",
    "addressLine1",
    "city",
    "state",
    "country",
    "postalCode",
    "paymentTermsCode",
    "currencyCode",
    "blocked",
    "customerPriceGroup",
    "creditLimit",
    "balanceDue",
    "outstandingOrdersAmount",
    "lastModifiedDateTime",
  ],
  salesPrices: [
    "id",
    "itemNumber",
    "salesType",
    "salesCode",
    "minimumQuantity",
    "unitPrice",
    "currencyCode",
    "unitOfMeasureCode",
    "startingDate",
    "endingDate",
    "lastModifiedDateTime",
  ],
  itemAvailabilities: [
    "id",
    "itemNumber",
    "locationCode",
    "inventory",
    "reservedQuantity",
    "availableQuantity",
    "lastModifiedDateTime",
  ],
  salesOrders: [
    "id",
    "number",
    "externalDocumentNumber",
    "orderDate",
    "customerId",
    "customerNumber",
    "currencyCode",
    "status",
    "fullyShipped",
    "totalAmountExcludingTax",
    "lastModifiedDateTime",
  ],
  salesOrderLines: [
    "id",
    "documentId",
    "sequence",
    "lineType",
    "lineObjectNumber",
    "description",
    "quantity",
    "unitPrice",
    "locationCode",
    "reservedQuantity",
    "backorderQuantity",
    "shippedQuantity",
    "invoicedQuantity",
    "amountExcludingTax",
    "lastModifiedDateTime",
  ],
  salesShipments: [
    "id",
    "number",
    "orderNumber",
    "customerNumber",
    "shipmentDate",
    "externalDocumentNumber",
    "shipToName",
    "shipToAddressLine1",
    "shipToCity",
    "shipToState",
    "shipToCountry",
    "shipToPostCode",
    "shippingAgentCode",
    "lastModifiedDateTime",
  ],
  salesShipmentLines: ["id", "documentId", "sequence", "lineObjectNumber", "quantity", "locationCode"],
  salesInvoices: [
    "id",
    "number",
    "orderNumber",
    "customerNumber",
    "invoiceDate",
    "dueDate",
    "billToName",
    "billToAddressLine1",
    "billToCity",
    "billToState",
    "billToCountry",
    "billToPostCode",
    "paymentTermsCode",
    "currencyCode",
    "status",
    "totalAmountExcludingTax",
    "externalDocumentNumber",
    "lastModifiedDateTime",
  ],
  salesInvoiceLines: [
    "id",
    "documentId",
    "sequence",
    "lineObjectNumber",
    "quantity",
    "unitPrice",
    "amountExcludingTax",
  ],
};

const INDEXED_FIELDS: Record<string, readonly string[]> = {
  items: ["number"],
  customers: ["number"],
  salesPrices: ["itemNumber"],
  itemAvailabilities: ["itemNumber"],
  salesOrders: ["number", "externalDocumentNumber"],
  salesOrderLines: ["documentId"],
  salesShipmentLines: ["documentId"],
  salesInvoiceLines: ["documentId"],
};

function scaled(units: number, scale: number): DecimalString {
  const negative = units < 0;
  const digits = String(Math.abs(units)).padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/**
 * The state and business rules of the simulated Business Central company: stock in three
 * warehouses, list / price-group / customer prices with quantity breaks, credit limits and
 * exposure, allocation with backorders, order numbers, shipment and invoice posting, and the
 * booking ledger.
 */
export class BusinessCentralStore {
  readonly sets = new Map<string, Map<string, StoredEntity>>();
  readonly bookings: BusinessCentralBooking[] = [];
  /** Lookup indexes on the fields clients filter by with `eq` (immutable after insert). */
  private readonly indexes = new Map<string, Map<string, StoredEntity[]>>();
  private idCounter = 0;
  private orderSequence = 101000;
  private shipmentSequence = 102000;
  private invoiceSequence = 103000;

  constructor(
    private readonly now: () => number,
    seed: BusinessCentralSeed = {},
  ) {
    for (const name of Object.keys(ENTITY_PROPERTIES)) this.sets.set(name, new Map());
    this.seed(seed.items ?? 60);
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString();
  }

  set(name: string): Map<string, StoredEntity> {
    const found = this.sets.get(name);
    if (!found) throw new BusinessCentralProblem(404, "BadRequest_NotFound", `Resource '${name}' not found`);
    return found;
  }

  private nextId(): string {
    this.idCounter += 1;
    const hex = this.idCounter.toString(16).padStart(12, "0");
    return `5f3c${hex.slice(0, 4)}-0000-4000-8000-${hex}`;
  }

  insert(name: string, properties: Record<string, unknown>): StoredEntity {
    const entity = Object.assign(properties, {
      id: (properties.id as string | undefined) ?? this.nextId(),
      version: 1,
      lastModifiedDateTime: this.timestamp(),
    }) as StoredEntity;
    this.set(name).set(entity.id, entity);
    for (const field of INDEXED_FIELDS[name] ?? []) {
      const value = entity[field];
      if (typeof value !== "string") continue;
      const key = `${name}.${field}`;
      let index = this.indexes.get(key);
      if (!index) {
        index = new Map();
        this.indexes.set(key, index);
      }
      const list = index.get(value);
      if (list) list.push(entity);
      else index.set(value, [entity]);
    }
    return entity;
  }

  /** The entities whose indexed field equals the value, or undefined when the field has no index. */
  lookup(name: string, field: string, value: string): StoredEntity[] | undefined {
    if (!(INDEXED_FIELDS[name] ?? []).includes(field)) return undefined;
    return this.indexes.get(`${name}.${field}`)?.get(value) ?? [];
  }

  touch(entity: StoredEntity, changes: Record<string, unknown> = {}): StoredEntity {
    Object.assign(entity, changes);
    entity.version += 1;
    entity.lastModifiedDateTime = this.timestamp();
    return entity;
  }

  findBy(name: string, property: string, value: unknown): StoredEntity | undefined {
    if (typeof value === "string") {
      const indexed = this.lookup(name, property, value);
      if (indexed) return indexed[0];
    }
    for (const entity of this.set(name).values()) if (entity[property] === value) return entity;
    return undefined;
  }

  linesOf(lineSet: string, documentId: string): StoredEntity[] {
    return [...(this.lookup(lineSet, "documentId", documentId) ?? [])].sort(
      (a, b) => (a.sequence as number) - (b.sequence as number),
    );
  }

  private seed(itemCount: number): void {
    const customers: [string, string, string, DecimalString, DecimalString][] = [
      ["C10000", "Adatum Industrial Supply", "WHOLESALE", "250000", "1200"],
      ["C20000", "Trey Research Fasteners", "RETAIL", "1000", "900"],
      ["C30000", "Alpine Ski House", "WHOLESALE", "0", "0"],
      ["C40000", "Relecloud Components", "RETAIL", "50000", "0"],
    ];
    for (const [number, displayName, customerPriceGroup, creditLimit, balanceDue] of customers) {
      this.insert("customers", {
        number,
        displayName,
        email: `${number.toLowerCase()}@example.com`,
        addressLine1: `${number.slice(1, 3)} Industrial Way`,
        city: "Dayton",
        state: "OH",
        country: "US",
        postalCode: "45402",
        paymentTermsCode: "30 DAYS",
        currencyCode: "USD",
        blocked: " ",
        customerPriceGroup,
        creditLimit,
        balanceDue,
        outstandingOrdersAmount: "0",
      });
    }
    for (let index = 1; index <= itemCount; index++) {
      const number = `I-${String(index).padStart(5, "0")}`;
      const listUnits = 125 + ((index * 7919) % 250000);
      const unitPrice = scaled(listUnits, 4);
      let total = 0;
      BUSINESS_CENTRAL_LOCATIONS.forEach((locationCode, position) => {
        const stock = (index * (position + 3) * 37) % 500;
        total += stock;
        this.insert("itemAvailabilities", {
          itemNumber: number,
          locationCode,
          inventory: String(stock),
          reservedQuantity: "0",
          availableQuantity: String(stock),
        });
      });
      this.insert("items", {
        number,
        displayName: `Component ${number}`,
        type: "Inventory",
        blocked: false,
        baseUnitOfMeasureCode: "PCS",
        unitPrice,
        inventory: String(total),
        itemCategoryCode: index % 2 === 0 ? "FASTENERS" : "FITTINGS",
      });
      this.insertPrice(number, "All Customers", "", "0", unitPrice);
      this.insertPrice(
        number,
        "Customer Price Group",
        "WHOLESALE",
        "0",
        scaled(Math.round(listUnits * 0.9), 4),
      );
      this.insertPrice(
        number,
        "Customer Price Group",
        "WHOLESALE",
        "100",
        scaled(Math.round(listUnits * 0.8), 4),
      );
      if (index % 3 === 1) {
        this.insertPrice(number, "Customer", "C10000", "1000", scaled(Math.round(listUnits * 0.7), 4));
      }
    }
  }

  private insertPrice(
    itemNumber: string,
    salesType: string,
    salesCode: string,
    minimumQuantity: DecimalString,
    unitPrice: DecimalString,
  ): void {
    this.insert("salesPrices", {
      itemNumber,
      salesType,
      salesCode,
      minimumQuantity,
      unitPrice,
      currencyCode: "USD",
      unitOfMeasureCode: "PCS",
      startingDate: "2020-01-01",
      endingDate: null,
    });
  }

  /** The best (lowest) price that applies to a customer for a quantity, as Business Central computes it. */
  bestPrice(customer: StoredEntity, itemNumber: string, quantity: DecimalString): DecimalString | undefined {
    let best: DecimalString | undefined;
    for (const price of this.lookup("salesPrices", "itemNumber", itemNumber) ?? []) {
      const applies =
        price.salesType === "All Customers" ||
        (price.salesType === "Customer Price Group" && price.salesCode === customer.customerPriceGroup) ||
        (price.salesType === "Customer" && price.salesCode === customer.number);
      if (!applies || compareDecimal(price.minimumQuantity as string, quantity) > 0) continue;
      if (best === undefined || compareDecimal(price.unitPrice as string, best) < 0)
        best = price.unitPrice as string;
    }
    return best;
  }

  private availability(itemNumber: string, locationCode: string): StoredEntity | undefined {
    for (const row of this.lookup("itemAvailabilities", "itemNumber", itemNumber) ?? []) {
      if (row.itemNumber === itemNumber && row.locationCode === locationCode) return row;
    }
    return undefined;
  }

  /** Books a sales order with its lines: prices, credit check, allocation and backorders. */
  createSalesOrder(body: Record<string, unknown>, rejectDuplicates: boolean): StoredEntity {
    const customerNumber = body.customerNumber;
    if (typeof customerNumber !== "string") {
      throw new BusinessCentralProblem(400, "BadRequest", "The field customerNumber is required");
    }
    const customer = this.findBy("customers", "number", customerNumber);
    if (!customer) {
      throw new BusinessCentralProblem(
        400,
        "Internal_RecordNotFound",
        `The Customer does not exist. Identification fields and values: No.='${customerNumber}'`,
      );
    }
    if (customer.blocked === "All") {
      throw new BusinessCentralProblem(
        400,
        "Application_DialogException",
        `Customer ${customerNumber} is blocked`,
      );
    }
    const externalDocumentNumber =
      typeof body.externalDocumentNumber === "string" ? body.externalDocumentNumber : "";
    if (
      rejectDuplicates &&
      externalDocumentNumber !== "" &&
      this.findBy("salesOrders", "externalDocumentNumber", externalDocumentNumber)
    ) {
      throw new BusinessCentralProblem(
        400,
        "Application_DuplicateExternalDocumentNumber",
        `External Document No. ${externalDocumentNumber} already exists`,
      );
    }
    const rawLines = body.salesOrderLines;
    if (!Array.isArray(rawLines) || rawLines.length === 0) {
      throw new BusinessCentralProblem(
        400,
        "BadRequest",
        "A sales order needs at least one salesOrderLines entry",
      );
    }
    type Planned = {
      itemNumber: string;
      quantity: DecimalString;
      unitPrice: DecimalString;
      amount: DecimalString;
      locationCode: string;
      reserved: DecimalString;
    };
    const planned: Planned[] = [];
    let total: DecimalString = "0";
    rawLines.forEach((raw: unknown, index) => {
      const line = (raw ?? {}) as Record<string, unknown>;
      const itemNumber = line.lineObjectNumber;
      const quantity = typeof line.quantity === "number" ? String(line.quantity) : line.quantity;
      if (typeof itemNumber !== "string" || !this.findBy("items", "number", itemNumber)) {
        throw new BusinessCentralProblem(
          400,
          "Internal_RecordNotFound",
          `salesOrderLines[${index}]: The Item does not exist. Identification fields and values: No.='${String(itemNumber)}'`,
        );
      }
      if (
        typeof quantity !== "string" ||
        !/^\d+(\.\d+)?$/.test(quantity) ||
        compareDecimal(quantity, "0") <= 0
      ) {
        throw new BusinessCentralProblem(
          400,
          "BadRequest",
          `salesOrderLines[${index}]: quantity must be positive`,
        );
      }
      const requestedPrice = typeof line.unitPrice === "number" ? String(line.unitPrice) : line.unitPrice;
      const unitPrice =
        typeof requestedPrice === "string"
          ? requestedPrice
          : (this.bestPrice(customer, itemNumber, quantity) ?? "0");
      const amount = roundDecimal(multiplyDecimal(unitPrice, quantity), 2);
      total = addDecimal(total, amount);
      let locationCode = typeof line.locationCode === "string" ? line.locationCode : "";
      if (locationCode === "") {
        let bestAvailable = "-1";
        for (const code of BUSINESS_CENTRAL_LOCATIONS) {
          const row = this.availability(itemNumber, code);
          if (row && compareDecimal(row.availableQuantity as string, bestAvailable) > 0) {
            bestAvailable = row.availableQuantity as string;
            locationCode = code;
          }
        }
      }
      const row = this.availability(itemNumber, locationCode);
      if (!row) {
        throw new BusinessCentralProblem(
          400,
          "Internal_RecordNotFound",
          `salesOrderLines[${index}]: The Location does not exist. Identification fields and values: Code='${locationCode}'`,
        );
      }
      const alreadyPlanned = planned
        .filter((entry) => entry.itemNumber === itemNumber && entry.locationCode === locationCode)
        .reduce((sum, entry) => addDecimal(sum, entry.reserved), "0");
      const free = subtractDecimal(row.availableQuantity as string, alreadyPlanned);
      const reserved =
        compareDecimal(free, "0") <= 0 ? "0" : compareDecimal(free, quantity) >= 0 ? quantity : free;
      planned.push({ itemNumber, quantity, unitPrice, amount, locationCode, reserved });
    });
    const exposure = addDecimal(customer.balanceDue as string, customer.outstandingOrdersAmount as string);
    if (
      compareDecimal(customer.creditLimit as string, "0") > 0 &&
      compareDecimal(addDecimal(exposure, total), customer.creditLimit as string) > 0
    ) {
      throw new BusinessCentralProblem(
        400,
        "Application_CreditLimitExceeded",
        `The customer's credit limit has been exceeded. Credit limit ${customer.creditLimit}, exposure ${exposure}, order ${total}`,
      );
    }
    this.orderSequence += 1;
    const order = this.insert("salesOrders", {
      number: `S-ORD${this.orderSequence}`,
      externalDocumentNumber,
      orderDate: typeof body.orderDate === "string" ? body.orderDate : this.timestamp().slice(0, 10),
      customerId: customer.id,
      customerNumber,
      currencyCode: customer.currencyCode,
      status: "Open",
      fullyShipped: false,
      totalAmountExcludingTax: total,
    });
    planned.forEach((line, index) => {
      const row = this.availability(line.itemNumber, line.locationCode) as StoredEntity;
      this.touch(row, {
        reservedQuantity: addDecimal(row.reservedQuantity as string, line.reserved),
        availableQuantity: subtractDecimal(row.availableQuantity as string, line.reserved),
      });
      this.insert("salesOrderLines", {
        documentId: order.id,
        sequence: (index + 1) * 10000,
        lineType: "Item",
        lineObjectNumber: line.itemNumber,
        description: `Component ${line.itemNumber}`,
        quantity: line.quantity,
        unitPrice: line.unitPrice,
        locationCode: line.locationCode,
        reservedQuantity: line.reserved,
        backorderQuantity: subtractDecimal(line.quantity, line.reserved),
        shippedQuantity: "0",
        invoicedQuantity: "0",
        amountExcludingTax: line.amount,
      });
    });
    this.touch(customer, {
      outstandingOrdersAmount: addDecimal(customer.outstandingOrdersAmount as string, total),
    });
    this.bookings.push({
      orderNumber: order.number as string,
      orderId: order.id,
      externalDocumentNumber,
      customerNumber,
      totalAmountExcludingTax: total,
      bookedAt: order.lastModifiedDateTime,
    });
    return order;
  }

  /** Ships the reserved quantities of an order and invoices them (the `shipAndInvoice` action). */
  shipAndInvoice(orderId: string): { shipment: StoredEntity; invoice: StoredEntity } {
    const order = this.set("salesOrders").get(orderId);
    if (!order)
      throw new BusinessCentralProblem(404, "BadRequest_NotFound", `salesOrders(${orderId}) not found`);
    const lines = this.linesOf("salesOrderLines", order.id);
    const toShip = lines.filter((line) => compareDecimal(line.reservedQuantity as string, "0") > 0);
    if (toShip.length === 0) {
      throw new BusinessCentralProblem(
        400,
        "Application_DialogException",
        "There is nothing to post: no reserved quantity",
      );
    }
    const customer = this.set("customers").get(order.customerId as string) as StoredEntity;
    const date = this.timestamp().slice(0, 10);
    this.shipmentSequence += 1;
    this.invoiceSequence += 1;
    const shipment = this.insert("salesShipments", {
      number: `S-SHPT${this.shipmentSequence}`,
      orderNumber: order.number,
      customerNumber: order.customerNumber,
      shipmentDate: date,
      externalDocumentNumber: order.externalDocumentNumber,
      shipToName: customer.displayName,
      shipToAddressLine1: customer.addressLine1,
      shipToCity: customer.city,
      shipToState: customer.state,
      shipToCountry: customer.country,
      shipToPostCode: customer.postalCode,
      shippingAgentCode: "FEDEX",
    });
    let invoiceTotal: DecimalString = "0";
    const invoice = this.insert("salesInvoices", {
      number: `S-INV${this.invoiceSequence}`,
      orderNumber: order.number,
      customerNumber: order.customerNumber,
      invoiceDate: date,
      dueDate: new Date(this.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      currencyCode: order.currencyCode,
      status: "Open",
      totalAmountExcludingTax: "0",
      externalDocumentNumber: order.externalDocumentNumber,
      billToName: customer.displayName,
      billToAddressLine1: customer.addressLine1,
      billToCity: customer.city,
      billToState: customer.state,
      billToCountry: customer.country,
      billToPostCode: customer.postalCode,
      paymentTermsCode: customer.paymentTermsCode,
    });
    toShip.forEach((line, index) => {
      const quantity = line.reservedQuantity as string;
      const amount = roundDecimal(multiplyDecimal(line.unitPrice as string, quantity), 2);
      invoiceTotal = addDecimal(invoiceTotal, amount);
      this.insert("salesShipmentLines", {
        documentId: shipment.id,
        sequence: (index + 1) * 10000,
        lineObjectNumber: line.lineObjectNumber,
        quantity,
        locationCode: line.locationCode,
      });
      this.insert("salesInvoiceLines", {
        documentId: invoice.id,
        sequence: (index + 1) * 10000,
        lineObjectNumber: line.lineObjectNumber,
        quantity,
        unitPrice: line.unitPrice,
        amountExcludingTax: amount,
      });
      const row = this.availability(
        line.lineObjectNumber as string,
        line.locationCode as string,
      ) as StoredEntity;
      this.touch(row, {
        inventory: subtractDecimal(row.inventory as string, quantity),
        reservedQuantity: subtractDecimal(row.reservedQuantity as string, quantity),
      });
      const item = this.findBy("items", "number", line.lineObjectNumber) as StoredEntity;
      this.touch(item, { inventory: subtractDecimal(item.inventory as string, quantity) });
      this.touch(line, {
        reservedQuantity: "0",
        shippedQuantity: addDecimal(line.shippedQuantity as string, quantity),
        invoicedQuantity: addDecimal(line.invoicedQuantity as string, quantity),
      });
    });
    this.touch(invoice, { totalAmountExcludingTax: invoiceTotal });
    this.touch(customer, {
      balanceDue: addDecimal(customer.balanceDue as string, invoiceTotal),
      outstandingOrdersAmount: subtractDecimal(customer.outstandingOrdersAmount as string, invoiceTotal),
    });
    const fullyShipped = lines.every(
      (line) => compareDecimal(line.shippedQuantity as string, line.quantity as string) >= 0,
    );
    this.touch(order, { fullyShipped, status: fullyShipped ? "Released" : "Open" });
    return { shipment, invoice };
  }

  /** Adds stock at a location (a positive adjustment) and allocates it to waiting backorders, oldest first. */
  receiveStock(itemNumber: string, locationCode: string, quantity: DecimalString): void {
    const row = this.availability(itemNumber, locationCode);
    const item = this.findBy("items", "number", itemNumber);
    if (!row || !item)
      throw new BusinessCentralProblem(404, "BadRequest_NotFound", `${itemNumber}@${locationCode} not found`);
    this.touch(row, {
      inventory: addDecimal(row.inventory as string, quantity),
      availableQuantity: addDecimal(row.availableQuantity as string, quantity),
    });
    this.touch(item, { inventory: addDecimal(item.inventory as string, quantity) });
    for (const line of this.set("salesOrderLines").values()) {
      if (line.lineObjectNumber !== itemNumber || line.locationCode !== locationCode) continue;
      const waiting = line.backorderQuantity as string;
      const free = row.availableQuantity as string;
      if (compareDecimal(waiting, "0") <= 0 || compareDecimal(free, "0") <= 0) continue;
      const take = compareDecimal(free, waiting) >= 0 ? waiting : free;
      this.touch(row, {
        reservedQuantity: addDecimal(row.reservedQuantity as string, take),
        availableQuantity: subtractDecimal(free, take),
      });
      this.touch(line, {
        reservedQuantity: addDecimal(line.reservedQuantity as string, take),
        backorderQuantity: subtractDecimal(waiting, take),
      });
    }
  }
}
