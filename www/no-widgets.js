// The tracking build has no page side for widgets (see www/host.js).
export var mount;
