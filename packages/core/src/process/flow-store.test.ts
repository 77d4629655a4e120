import { describeFlowStoreConformance } from "../testing/flow-store-conformance";
import { createMemoryFlowStore } from "./flow-store";

describeFlowStoreConformance("memory", () => createMemoryFlowStore());
