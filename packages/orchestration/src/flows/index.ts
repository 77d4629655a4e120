export * from "./order-to-cash";
export * from "./quote-to-order";
export * from "./return-to-credit";
