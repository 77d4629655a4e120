export * from "./commerce-channel";
export * from "./common";
export * from "./crm-system";
export * from "./edi-partner";
export * from "./erp-system";
export * from "./wms-system";
