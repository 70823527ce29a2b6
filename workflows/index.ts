// The workflow bundle's entry: re-exports workflow functions, nothing else.
export { automationWorkflow } from './automation';
export { flowRunWorkflowV2 } from './flow-run';
export { flowRunWorkflow } from './flow-run-legacy';
