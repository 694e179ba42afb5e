/**
 * @lessonloop/validator-ensemble — a subgraph of N independent peer validators that replay the relevant edge cases with and without a candidate lesson and vote under a consensus policy.
 *
 * Not implemented yet: this package exports nothing until its node is built.
 * See README.md.
 */
export {};
