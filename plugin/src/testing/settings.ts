// The instance settings Grafana hands a Sensorstore datasource behind its data proxy, for unit tests.
import { DataSourceInstanceSettings } from '@grafana/data';

import { SensorstoreOptions } from '../types';

export function instanceSettings(jsonData: Partial<SensorstoreOptions> = {}): DataSourceInstanceSettings<SensorstoreOptions> {
  return {
    id: 1,
    uid: 'sensorstore',
    type: 'sensorstore-datasource',
    name: 'Sensorstore',
    url: '/api/datasources/proxy/uid/sensorstore',
    access: 'proxy',
    readOnly: false,
    meta: {} as DataSourceInstanceSettings['meta'],
    jsonData: { url: 'http://sidecar:8428', ...jsonData },
  } as DataSourceInstanceSettings<SensorstoreOptions>;
}
