// Builds the plugin the way Grafana's create-plugin scaffold does: one AMD module (dist/module.js)
// that leaves Grafana's shared libraries external, plus plugin.json, logos, README and CHANGELOG.
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const pluginJson = require('./src/plugin.json');

const SOURCE_DIR = path.join(__dirname, 'src');
const DIST_DIR = path.join(__dirname, 'dist');

// Grafana hands these to plugins at run time (SystemJS shared dependencies); bundling a second copy
// breaks React hooks, theming and `instanceof` checks across the plugin boundary.
const GRAFANA_SHARED = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  'rxjs',
  'rxjs/operators',
  'lodash',
  '@emotion/css',
  '@emotion/react',
  'moment',
  'd3',
  'i18next',
  'redux',
  'react-redux',
  'react-router',
  'slate',
  'prismjs',
  'jquery',
];

module.exports = (env, argv) => {
  const production = argv.mode !== 'development';
  return {
    context: SOURCE_DIR,
    mode: production ? 'production' : 'development',
    devtool: production ? 'source-map' : 'eval-source-map',
    // publicPath.ts runs first so chunks and assets load from wherever Grafana served module.js.
    entry: { module: ['./publicPath.ts', './module.ts'] },
    externals: [
      // The AMD loader's own `module` meta, read by publicPath.ts.
      { 'amd-module': 'module' },
      ...GRAFANA_SHARED,
      // Legacy SDK imports such as `grafana/app/core/...` resolve inside Grafana itself.
      ({ request }, callback) => {
        const prefix = 'grafana/';
        if (request && request.startsWith(prefix)) {
          return callback(undefined, request.slice(prefix.length));
        }
        callback();
      },
    ],
    module: {
      rules: [
        {
          test: /\.[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                target: 'es2015',
                parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
      ],
    },
    output: {
      clean: true,
      filename: '[name].js',
      library: { type: 'amd' },
      path: DIST_DIR,
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
    },
    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'plugin.json', to: '.' },
          { from: 'img/**/*', to: '.' },
          { from: path.join(__dirname, 'README.md'), to: '.' },
          { from: path.join(__dirname, 'CHANGELOG.md'), to: '.' },
        ],
      }),
    ],
    resolve: {
      extensions: ['.js', '.jsx', '.ts', '.tsx'],
    },
    performance: { hints: false },
  };
};
