// Stylesheets imported by @grafana/ui's dependencies mean nothing to jsdom; tests import this instead.
module.exports = {};
