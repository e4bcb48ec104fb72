export {
  type CaseResult,
  type CaseStatus,
  type ConformanceOptions,
  compareTensors,
  countsByOp,
  findCases,
  runCase,
  runConformance,
  summary,
} from './conformance.js';
