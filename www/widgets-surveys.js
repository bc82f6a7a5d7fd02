// The surveys build's page side: content slots and surveys, no checklists (see www/host.js).
export { depth, mount, prompt } from './widgets.js';
export var checklists, remote;
