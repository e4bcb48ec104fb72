export {
  type CaseResult,
  type CaseStatus,
  compareTensors,
  type ConformanceOptions,
  countsByOp,
  findCases,
  runCase,
  runConformance,
  summary,
} from './conformance.js';
