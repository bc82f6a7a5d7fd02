// The tracking build has no page side for widgets, surveys or checklists (see www/host.js).
export var checklists, depth, mount, prompt, remote;
