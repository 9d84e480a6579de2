// jsdom lacks a few browser APIs that @grafana/ui touches at import time.
global.matchMedia = global.matchMedia || ((query) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent() { return false; } }));
global.ResizeObserver = global.ResizeObserver || class { observe() {} unobserve() {} disconnect() {} };
// react-dom/server (pulled in by @grafana/ui) needs the encoders that Node has and jsdom lacks.
const { TextEncoder, TextDecoder } = require('util');
global.TextEncoder = global.TextEncoder || TextEncoder;
global.TextDecoder = global.TextDecoder || TextDecoder;
// @grafana/ui's Combobox sizes itself by measuring text on a canvas, which jsdom does not draw.
if (global.HTMLCanvasElement) {
  global.HTMLCanvasElement.prototype.getContext = function getContext() {
    return { font: '', measureText: (text) => ({ width: String(text).length * 8 }) };
  };
}
