// Points webpack's chunk and asset URLs at wherever Grafana served module.js from (sub-path installs,
// CDNs). The AMD loader's `module` meta carries that URL; the fallback is the standard plugin path.
import amdMetaModule from 'amd-module';

__webpack_public_path__ =
  amdMetaModule && amdMetaModule.uri ? amdMetaModule.uri.slice(0, amdMetaModule.uri.lastIndexOf('/') + 1) : 'public/plugins/sensorstore-datasource/';
