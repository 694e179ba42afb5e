export { createSimSuite } from "./sim-suite.js";
export type { SimSuiteParams } from "./sim-suite.js";
export { createSimAgent, renderToolDocs } from "./sim-agent.js";
export type { SimAgentParams } from "./sim-agent.js";
export { createSimLearnerModel, createSimReflector, DEFAULT_LEARNER_RATES } from "./sim-learner-model.js";
export type { SimLearnerParams } from "./sim-learner-model.js";
export { DirectiveSchema, parseDirectives, renderDirective, renderDirectives, directiveSlot } from "./lesson-language.js";
export type { Directive } from "./lesson-language.js";
export type { LearnerRates } from "./episode-reading.js";
