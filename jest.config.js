// One jest run covers every part: engine and HTTP unit tests beside their code, the plugin's
// tests in jsdom, and the cross-part tests under test/ (HTTP end to end, crash, browser).

// ES-module packages that @grafana/data, ui and runtime pull in; jest must compile them.
const grafanaEsModules = '@grafana|ol|d3|d3-[a-z-]+|marked|rxjs|uuid|@emotion|react-calendar|get-user-locale|memoize|mimic-function|@wojtekmaj|@rc-component';
// Stylesheets imported by those packages mean nothing to jest.
const styleStub = { '\\.(css|scss|sass)$': '<rootDir>/plugin/jest/styleStub.js' };
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  projects: [
    {
      displayName: 'sidecar',
      testEnvironment: 'node',
      roots: ['<rootDir>/sidecar/src'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': swc },
      transformIgnorePatterns: ['/node_modules/(?!(@prometheus-io|@lezer)/)'],
    },
    {
      displayName: 'plugin',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/plugin/src'],
      testMatch: ['**/*.test.ts', '**/*.test.tsx'],
      transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
      transformIgnorePatterns: [`/node_modules/(?!(${grafanaEsModules})/)`],
      moduleNameMapper: styleStub,
      setupFiles: ['<rootDir>/plugin/jest.setup.js'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
      // The plugin's tests against a real sidecar load @grafana/* (in jsdom, chosen per file).
      transformIgnorePatterns: [`/node_modules/(?!(@prometheus-io|@lezer|${grafanaEsModules})/)`],
      moduleNameMapper: styleStub,
      setupFilesAfterEnv: ['<rootDir>/test/jest.setup.js'],
    },
  ],
};
