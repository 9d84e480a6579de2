// Bundles the host page (React, @grafana/data, ui, runtime and friends, at the versions the plugin
// builds against) with esbuild, so the browser test can load the built plugin beside them.
import { build, Plugin } from 'esbuild';
import { join } from 'path';

/**
 * The @grafana packages ship ES modules (.mjs). Under Node's rules, which esbuild follows for .mjs,
 * a default import of a Babel-compiled CommonJS package yields its whole `module.exports` rather
 * than `exports.default`. Grafana's own webpack build unwraps it; this shim does the same.
 */
const COMMONJS_DEFAULT_EXPORTS = ['react-custom-scrollbars-2'];

const commonJsDefaultInterop: Plugin = {
  name: 'commonjs-default-interop',
  setup(pluginBuild) {
    const filter = new RegExp(`^(${COMMONJS_DEFAULT_EXPORTS.join('|')})$`);
    pluginBuild.onResolve({ filter }, (args) => {
      if (args.namespace === 'interop') {
        return undefined;
      }
      return { path: args.path, namespace: 'interop', pluginData: { resolveDir: args.resolveDir } };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'interop' }, (args) => ({
      contents: `import * as wrapped from ${JSON.stringify(args.path)};\nconst mod = wrapped.default ?? wrapped;\nexport default (mod && mod.__esModule ? mod.default : mod);\n`,
      resolveDir: (args.pluginData as { resolveDir: string }).resolveDir,
      loader: 'js',
    }));
  },
};

/** Writes `main.js` and `main.css` (and font files) to `outDir`. */
export async function buildHost(outDir: string): Promise<void> {
  await build({
    entryPoints: [join(__dirname, 'host', 'main.tsx')],
    outdir: outDir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    logLevel: 'error',
    define: {
      'process.env.NODE_ENV': '"production"',
      // SystemJS's AMD `define` must not capture the UMD modules inside this bundle.
      define: 'undefined',
      global: 'window',
    },
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file', '.gif': 'file' },
    plugins: [commonJsDefaultInterop],
  });
}
