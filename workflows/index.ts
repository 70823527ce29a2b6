// The workflow bundle's entry: re-exports workflow functions, nothing else.
export { automationWorkflow } from './automation';
export { flowRunWorkflow } from './flow-run';
