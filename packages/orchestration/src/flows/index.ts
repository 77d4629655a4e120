export * from "./order-to-cash";
