// Names only the webpack build and the AMD loader provide.
declare module 'amd-module' {
  const meta: { uri?: string } | undefined;
  export default meta;
}

declare let __webpack_public_path__: string;
