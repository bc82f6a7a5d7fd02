// The content build's page side: content slots only (see www/host.js); surveys and
// checklists are in the builds that have them.
export { mount } from './widgets.js';
export var checklists, depth, prompt, remote;
