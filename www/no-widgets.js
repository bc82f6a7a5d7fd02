// The tracking build has no page side for widgets or surveys (see www/host.js).
export var depth, mount, prompt;
