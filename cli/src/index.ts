export { main } from './main.js';
export { startStack, VERSION, type Stack, type StackOptions } from './stack.js';
export { agentInputs, startDemoSite, DEMO, type DemoSite } from './demo-site.js';
export { edgeConfigFor } from './edge-config.js';
